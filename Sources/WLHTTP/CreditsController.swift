import Foundation
import Hummingbird
import WLDomain
public import WLServices

/// The SMS-credit endpoints under the API's base path.
public struct CreditsController: Sendable {
    let accounts: AccountService

    public init(accounts: AccountService) {
        self.accounts = accounts
    }

    /// The body of `GET /sms-credits/balance`, exactly as the contract shows it.
    struct BalanceResponse: Encodable, Sendable {
        var smsCredits: Credits
        var smsRate: KES
        var currency: String

        enum CodingKeys: String, CodingKey {
            case smsCredits = "sms_credits"
            case smsRate = "sms_rate"
            case currency
        }
    }

    /// Adds the routes to `group` (already behind the API-key middleware).
    public func addRoutes(to group: RouteRegistrar) {
        group.get("sms-credits/balance", use: balance)
    }

    @Sendable func balance(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<BalanceResponse> {
        let balance = try await accounts.balance(firmID: context.firmID())
        return SuccessEnvelope(data: BalanceResponse(smsCredits: balance.smsCredits, smsRate: balance.smsRate, currency: balance.currency))
    }
}
