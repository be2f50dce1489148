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
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        try await reports.africasTalking(FormEncoding.decode(String(buffer: body)))
        return try Response.json(["status": "ok"], status: .ok)
    }
}
