import Foundation
import Hummingbird
import WLDomain
public import WLServices

/// The SMS-credit endpoints under the API's base path: balance, purchase (start and poll) and the ledger.
public struct CreditsController: Sendable {
    let accounts: AccountService
    let payments: PaymentService

    public init(accounts: AccountService, payments: PaymentService) {
        self.accounts = accounts
        self.payments = payments
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
        group.post("sms-credits/purchase", use: purchase)
        group.get("sms-credits/purchase/:payment_id", use: purchaseStatus)
        group.get("sms-credits/transactions", use: transactions)
        group.get("sms-credits/low-balance", use: lowBalance)
        group.on(.put, "sms-credits/low-balance", use: setLowBalance)
    }

    @Sendable func lowBalance(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<LowBalanceView> {
        SuccessEnvelope(data: LowBalanceView(try await accounts.lowBalance(firmID: context.firmID())))
    }

    @Sendable func setLowBalance(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<LowBalanceView> {
        let body = try await request.decodeJSON(as: LowBalanceRequest.self, context: context)
        return SuccessEnvelope(
            message: "Low-balance alert saved.", data: LowBalanceView(try await accounts.setLowBalance(body, firmID: context.firmID())))
    }

    @Sendable func balance(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<BalanceResponse> {
        let balance = try await accounts.balance(firmID: context.firmID())
        return SuccessEnvelope(data: BalanceResponse(smsCredits: balance.smsCredits, smsRate: balance.smsRate, currency: balance.currency))
    }

    @Sendable func purchase(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<PaymentResponse>> {
        let body = try await request.decodeJSON(as: PurchaseRequest.self, context: context)
        let view = try await payments.purchase(body, firm: try context.firm())
        return EditedResponse(
            status: .accepted,
            response: SuccessEnvelope(message: "Check your phone to complete the M-Pesa payment.", data: PaymentResponse(view)))
    }

    @Sendable func purchaseStatus(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PaymentResponse> {
        guard let raw = context.parameters.get("payment_id"), let id = Int64(raw) else {
            throw DomainError(.notFound, "No payment with that id.")
        }
        return SuccessEnvelope(data: PaymentResponse(try await payments.payment(id: id, firm: try context.firm())))
    }

    @Sendable func transactions(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PageView<TransactionView>> {
        let firm = try context.firm()
        let page = try PageQuery(request.queryDictionary(allowing: PageQuery.names))
        let entries = try await payments.transactions(firmID: firm.id, limit: page.limit + 1, startingAfter: page.startingAfter)
        return SuccessEnvelope(
            data: PageView(
                key: "transactions", fetched: entries.map { TransactionView(entry: $0, timezone: firm.timezone) }, limit: page.limit,
                cursor: \.entry.id))
    }
}

/// A payment as `POST /sms-credits/purchase` and `GET /sms-credits/purchase/{id}` show it (docs/payments.md).
struct PaymentResponse: Encodable, Sendable {
    let view: PaymentView

    init(_ view: PaymentView) { self.view = view }

    enum CodingKeys: String, CodingKey {
        case firmCredits = "firm_sms_credits"
        case paidAt = "paid_at"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        let payment = view.payment
        try PaymentFields.encode(payment, event: nil, status: payment.status, to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(view.firmCredits, forKey: .firmCredits)
        try container.encode(payment.paidAt.map { FirmTime.format($0, timezone: view.timezone) }, forKey: .paidAt)
        try container.encode(FirmTime.format(payment.createdAt, timezone: view.timezone), forKey: .createdAt)
    }
}

/// One ledger entry in `GET /sms-credits/transactions`.
struct TransactionView: Encodable, Sendable {
    let entry: LedgerEntry
    let timezone: String

    enum CodingKeys: String, CodingKey {
        case id, kind, credits, reason
        case balanceAfter = "balance_after"
        case paymentID = "payment_id"
        case receipt = "mpesa_receipt"
        case messageID = "message_id"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entry.id, forKey: .id)
        try container.encode(entry.kind.rawValue, forKey: .kind)
        try container.encode(entry.amount, forKey: .credits)
        try container.encode(entry.balanceAfter, forKey: .balanceAfter)
        try container.encode(entry.paymentID, forKey: .paymentID)
        try container.encode(entry.receipt, forKey: .receipt)
        try container.encode(entry.messageID, forKey: .messageID)
        try container.encode(entry.kind == .adjustment ? entry.reference : nil, forKey: .reason)
        try container.encode(FirmTime.format(entry.createdAt, timezone: timezone), forKey: .createdAt)
    }
}

/// `GET/PUT /sms-credits/low-balance`: the threshold (credits, or `null`: no alert) and the balance now.
struct LowBalanceView: Encodable, Sendable {
    var threshold: Credits?
    var smsCredits: Credits

    init(_ firm: Firm) {
        threshold = firm.lowBalanceThreshold
        smsCredits = firm.smsCredits
    }

    enum CodingKeys: String, CodingKey {
        case threshold
        case smsCredits = "sms_credits"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(threshold, forKey: .threshold)
        try container.encode(smsCredits, forKey: .smsCredits)
    }
}
