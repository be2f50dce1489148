import Foundation
import Hummingbird
import WLDomain
public import WLServices

/// Provider callbacks, outside the API's base path and without an API key: each URL carries a secret token,
/// compared in constant time. `POST /callbacks/africastalking/dlr/{token}` takes Africa's Talking's form-encoded
/// delivery reports and answers 200 at once (an unknown or duplicate report too, so the provider stops retrying).
public struct ProviderCallbackController: Sendable {
    let reports: DeliveryReports
    let africasTalkingToken: String

    public init(reports: DeliveryReports, africasTalkingToken: String) {
        self.reports = reports
        self.africasTalkingToken = africasTalkingToken
    }

    public func addRoutes(to router: RouteRegistrar) {
        router.post("callbacks/africastalking/dlr/:token", use: africasTalking)
    }

    @Sendable func africasTalking(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let token = context.parameters.get("token"), ConstantTime.equal(token, africasTalkingToken) else {
            throw DomainError(.notFound, "Not Found")
        }
        let body = try await request.bodyData(context: context, limit: 64 * 1024)
        try await reports.africasTalking(FormEncoding.decode(String(decoding: body, as: UTF8.self)))
        return try Response.json(["status": "ok"], status: .ok)
    }
}
