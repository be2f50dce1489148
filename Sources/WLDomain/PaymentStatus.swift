/// Where an M-Pesa purchase of SMS credits stands, spelled as the contract spells `payment_status`.
public enum PaymentStatus: String, Codable, Sendable, CaseIterable {
    /// The STK prompt is out, or M-Pesa's answer has not come yet.
    case pending = "Pending"
    /// Paid and credited, once.
    case received = "Received"
    /// Not paid; the failure says why.
    case failed = "Failed"
    /// M-Pesa reports money we will not credit automatically (wrong amount, receipt used before): for review.
    case held = "Held"

    /// The webhook event a move to this status emits; `nil` for pending.
    public var eventName: String? {
        switch self {
        case .pending: nil
        case .received: "communication.payment.received"
        case .failed: "communication.payment.failed"
        case .held: "communication.payment.held"
        }
    }
}
