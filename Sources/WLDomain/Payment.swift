public import Foundation

/// A purchase of SMS credits with M-Pesa.
public struct Payment: Hashable, Sendable {
    /// The largest purchase: M-Pesa's per-transaction ceiling, in whole shillings.
    public static let maximumShillings: Int64 = 250_000

    public var id: Int64
    public var firmID: Int64
    /// The payer, `254XXXXXXXXX`.
    public var phone: String
    /// What was asked for (whole shillings).
    public var amount: KES
    /// The firm's rate when the purchase started; it decides the credits.
    public var smsRate: KES
    /// `amount ÷ smsRate`, to four decimal places.
    public var estimatedCredits: Credits
    public var status: PaymentStatus
    public var failure: PaymentFailure?
    /// M-Pesa's ResultCode and ResultDesc, or our reason when the push never started.
    public var resultCode: Int?
    public var resultDescription: String?
    public var checkoutRequestID: String?
    public var merchantRequestID: String?
    public var receipt: String?
    /// What M-Pesa says was paid, when it says.
    public var paidAmount: KES?
    public var paidAt: Date?
    /// Credits put on the balance for it (zero until received).
    public var creditsApplied: Credits
    /// Sandbox payments never reach M-Pesa.
    public var mode: FirmMode
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, firmID: Int64, phone: String, amount: KES, smsRate: KES, estimatedCredits: Credits, status: PaymentStatus,
        failure: PaymentFailure? = nil, resultCode: Int? = nil, resultDescription: String? = nil, checkoutRequestID: String? = nil,
        merchantRequestID: String? = nil, receipt: String? = nil, paidAmount: KES? = nil, paidAt: Date? = nil,
        creditsApplied: Credits = .zero, mode: FirmMode, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.firmID = firmID
        self.phone = phone
        self.amount = amount
        self.smsRate = smsRate
        self.estimatedCredits = estimatedCredits
        self.status = status
        self.failure = failure
        self.resultCode = resultCode
        self.resultDescription = resultDescription
        self.checkoutRequestID = checkoutRequestID
        self.merchantRequestID = merchantRequestID
        self.receipt = receipt
        self.paidAmount = paidAmount
        self.paidAt = paidAt
        self.creditsApplied = creditsApplied
        self.mode = mode
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A purchase about to start.
public struct NewPayment: Sendable {
    public var firmID: Int64
    public var phone: PhoneNumber
    public var amount: KES
    public var smsRate: KES
    public var mode: FirmMode
    /// SHA-256 (hex) of the secret in the payment's callback URL.
    public var callbackTokenHash: String
    /// When reconciliation first asks M-Pesa about it.
    public var reconcileAt: Date
    /// Sandbox only: when the simulated callback arrives (`nil`: never, the lost-callback payer).
    public var sandboxCallbackAt: Date?

    public init(
        firmID: Int64, phone: PhoneNumber, amount: KES, smsRate: KES, mode: FirmMode, callbackTokenHash: String, reconcileAt: Date,
        sandboxCallbackAt: Date?
    ) {
        self.firmID = firmID
        self.phone = phone
        self.amount = amount
        self.smsRate = smsRate
        self.mode = mode
        self.callbackTokenHash = callbackTokenHash
        self.reconcileAt = reconcileAt
        self.sandboxCallbackAt = sandboxCallbackAt
    }

    /// The credits it buys.
    public var estimatedCredits: Credits { amount.credits(atRate: smsRate) }
}

/// A payment's status change, as the webhook outbox carries it.
public struct PaymentEvent: Hashable, Sendable {
    public var id: Int64
    public var firmID: Int64
    public var paymentID: Int64
    public var sequence: Int
    public var event: String
    public var status: PaymentStatus
    public var occurredAt: Date

    public init(id: Int64, firmID: Int64, paymentID: Int64, sequence: Int, event: String, status: PaymentStatus, occurredAt: Date) {
        self.id = id
        self.firmID = firmID
        self.paymentID = paymentID
        self.sequence = sequence
        self.event = event
        self.status = status
        self.occurredAt = occurredAt
    }
}
