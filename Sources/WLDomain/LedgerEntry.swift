public import Foundation

/// Why credits moved.
public enum LedgerKind: String, Codable, Sendable, CaseIterable {
    /// Credits bought with M-Pesa.
    case purchase
    /// Credits spent on a message.
    case debit
    /// Credits returned for a message the provider refused.
    case refund
    /// A platform admin's correction, or the sandbox seed.
    case adjustment
}

/// One movement of a firm's credits. A firm's balance is always the sum of its entries.
public struct LedgerEntry: Hashable, Codable, Sendable {
    public var id: Int64
    public var firmID: Int64
    public var kind: LedgerKind
    /// Positive for credits added, negative for credits taken.
    public var amount: Credits
    /// The firm's balance right after this entry.
    public var balanceAfter: Credits
    /// What caused it, in words: `message 12`, `payment 7`, an admin's reason.
    public var reference: String
    /// The payment that bought these credits (purchases).
    public var paymentID: Int64?
    /// The message charged or refunded (debits and refunds).
    public var messageID: Int64?
    /// The M-Pesa receipt of a purchase, when M-Pesa gave one.
    public var receipt: String?
    public var createdAt: Date

    public init(
        id: Int64, firmID: Int64, kind: LedgerKind, amount: Credits, balanceAfter: Credits, reference: String,
        paymentID: Int64? = nil, messageID: Int64? = nil, receipt: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.firmID = firmID
        self.kind = kind
        self.amount = amount
        self.balanceAfter = balanceAfter
        self.reference = reference
        self.paymentID = paymentID
        self.messageID = messageID
        self.receipt = receipt
        self.createdAt = createdAt
    }
}
