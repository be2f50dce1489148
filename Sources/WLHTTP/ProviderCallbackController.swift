import Foundation
import Hummingbird
import WLDomain
public import WLServices

/// Provider callbacks, outside the API's base path and without an API key: each URL carries a secret token,
/// compared in constant time. `POST /callbacks/africastalking/dlr/{token}` takes Africa's Talking's form-encoded
/// delivery reports and answers 200 at once (an unknown or duplicate report too, so the provider stops retrying);
/// `POST /callbacks/africastalking/optout/{token}` takes its opt-out notifications (`senderId`, `phoneNumber`).
public struct ProviderCallbackController: Sendable {
    let reports: DeliveryReports
    let optOuts: OptOutService
    let africasTalkingToken: String

    public init(reports: DeliveryReports, optOuts: OptOutService, africasTalkingToken: String) {
        self.reports = reports
        self.optOuts = optOuts
        self.africasTalkingToken = africasTalkingToken
    }

    public func addRoutes(to router: RouteRegistrar) {
        router.post("callbacks/africastalking/dlr/:token", use: africasTalking)
        router.post("callbacks/africastalking/optout/:token", use: africasTalkingOptOut)
    }

    @Sendable func africasTalking(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await reports.africasTalking(form(request, context: context))
        return try Response.json(["status": "ok"], status: .ok)
    }

    @Sendable func africasTalkingOptOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await optOuts.africasTalkingOptOut(form(request, context: context))
        return try Response.json(["status": "ok"], status: .ok)
    }

    /// The form fields of a callback whose URL carries the right token (else 404, as for any unknown path).
    private func form(_ request: Request, context: AppRequestContext) async throws -> [String: String] {
        guard let token = context.parameters.get("token"), ConstantTime.equal(token, africasTalkingToken) else {
            throw DomainError(.notFound, "Not Found")
        }
        let body = try await request.bodyData(context: context, limit: 64 * 1024)
        return FormEncoding.decode(String(decoding: body, as: UTF8.self))
    }
}
