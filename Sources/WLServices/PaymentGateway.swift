public import WLDomain

/// An STK push to ask for.
public struct PushRequest: Sendable {
    public var paymentID: Int64
    /// `254XXXXXXXXX`.
    public var phone: String
    /// Whole shillings.
    public var amount: KES
    /// The callback's path on this service (`/callbacks/mpesa/stk/7/<token>`); the gateway puts its public base in front.
    public var callbackPath: String

    public init(paymentID: Int64, phone: String, amount: KES, callbackPath: String) {
        self.paymentID = paymentID
        self.phone = phone
        self.amount = amount
        self.callbackPath = callbackPath
    }
}

/// Daraja's acceptance of an STK push: the request is out, nothing is paid yet.
public struct PushAccepted: Sendable, Hashable {
    public var checkoutRequestID: String
    public var merchantRequestID: String?

    public init(checkoutRequestID: String, merchantRequestID: String?) {
        self.checkoutRequestID = checkoutRequestID
        self.merchantRequestID = merchantRequestID
    }
}

/// Why an STK push did not start.
public enum PushError: Error, Sendable, Hashable {
    /// Refused or unavailable: no prompt reached the payer, so nothing is pending.
    case refused(String)
    /// The request went out but its answer did not come back: a prompt may be on the payer's phone.
    case unconfirmed(String)
}

/// What an STK status query says.
public enum PushStatus: Sendable, Hashable {
    /// M-Pesa is still processing it.
    case pending
    case completed(PaymentOutcome)
}

/// The payments port: starting an STK push and asking how it ended. Daraja for live firms; the sandbox otherwise.
public protocol PaymentGateway: Sendable {
    /// Starts the STK push once; never sends a second push for the same request.
    /// - Throws: ``PushError``.
    func requestPush(_ request: PushRequest) async throws -> PushAccepted
    /// Asks M-Pesa how the payment's push ended.
    func queryPush(_ payment: Payment) async throws -> PushStatus
    /// The longest ``requestPush(_:)`` can take, in seconds, every timeout and retry included: until then a payment
    /// without a checkout id may still get one from the request that pushed it.
    var longestPush: Double { get }
}

/// The live gateway when Daraja is not configured: every push is refused.
public struct UnconfiguredPaymentGateway: PaymentGateway {
    public init() {}

    public var longestPush: Double { 0 }

    public func requestPush(_ request: PushRequest) async throws -> PushAccepted {
        throw PushError.refused("M-Pesa is not configured on this server")
    }

    public func queryPush(_ payment: Payment) async throws -> PushStatus {
        throw PushError.refused("M-Pesa is not configured on this server")
    }
}

/// The sandbox: no M-Pesa call. The push is accepted at once and a query answers with the magic payer's outcome
/// (see ``SandboxPayer``); the simulated callbacks come from ``PaymentReconciler``.
public struct SandboxPaymentGateway: PaymentGateway {
    public init() {}

    public var longestPush: Double { 0 }

    public func requestPush(_ request: PushRequest) async throws -> PushAccepted {
        PushAccepted(checkoutRequestID: "ws_CO_SANDBOX_\(request.paymentID)", merchantRequestID: "sandbox-\(request.paymentID)")
    }

    /// As Daraja's query does, a success carries no receipt, amount or time.
    public func queryPush(_ payment: Payment) async throws -> PushStatus {
        switch Self.outcome(of: payment).outcome {
        case .paid: .completed(.paid(receipt: nil, amount: nil, paidAt: nil))
        case let outcome: .completed(outcome)
        }
    }

    /// The magic payer's outcome for `payment`, and how many callbacks it gets.
    static func outcome(of payment: Payment) -> (outcome: PaymentOutcome, callbacks: Int) {
        SandboxPayer.behaviour(
            phone: payment.phone, amount: payment.amount, receipt: SandboxPayer.receipt(paymentID: payment.id), at: payment.createdAt)
    }
}
