import Foundation
import Hummingbird
import WLDomain
public import WLServices

/// `POST /callbacks/mpesa/stk/{payment_id}/{token}`: Daraja's STK callback, outside the API's base path and without
/// an API key. The token is the payment's own secret (compared in constant time); once it matches, the answer is
/// always Daraja's acknowledgement, a repeated callback included.
public struct MpesaCallbackController: Sendable {
    let payments: PaymentService

    public init(payments: PaymentService) {
        self.payments = payments
    }

    public func addRoutes(to router: RouteRegistrar) {
        router.post("callbacks/mpesa/stk/:payment_id/:token", use: stkCallback)
    }

    struct Acknowledgement: Encodable {
        var resultCode = 0
        var resultDesc = "Accepted"

        enum CodingKeys: String, CodingKey {
            case resultCode = "ResultCode"
            case resultDesc = "ResultDesc"
        }
    }

    @Sendable func stkCallback(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let id = context.parameters.get("payment_id").flatMap(Int64.init), let token = context.parameters.get("token") else {
            throw DomainError(.notFound, "Not Found")
        }
        let body = try await request.bodyData(context: context, limit: 64 * 1024)
        try await payments.callback(paymentID: id, token: token, body: body)
        return try Response.json(Acknowledgement(), status: .ok)
    }
}
