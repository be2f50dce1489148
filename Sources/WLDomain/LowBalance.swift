public import Foundation

/// The low-balance alert of a firm: a threshold it chose, and whether the alert has fired since the balance was
/// last above it.
///
/// The rule: the balance is low at or below the threshold. Moving into low fires `communication.credits.low` once;
/// while it stays low nothing more fires; once the balance is above the threshold again the alert is re-armed.
/// Without a threshold nothing fires.
public enum LowBalanceRule {
    /// The event name of the alert.
    public static let eventName = "communication.credits.low"

    /// Whether the alert counts as fired once the threshold is set to `threshold` (from `previous`): a new threshold
    /// starts un-fired, to be checked against the balance at once; the same one again keeps its state, so saving the
    /// form twice does not fire the alert twice.
    public static func alerted(afterSetting threshold: Credits?, previous: Credits?, alerted: Bool) -> Bool {
        threshold == previous ? alerted : false
    }

    /// After a change that leaves `balance`: whether the alert is now fired (`alerted`) and whether to send it now.
    public static func decide(balance: Credits, threshold: Credits?, alerted: Bool) -> (alerted: Bool, fire: Bool) {
        guard let threshold, balance <= threshold else { return (false, false) }
        return (true, !alerted)
    }
}

/// A low-balance alert as stored and delivered: the balance that crossed the threshold.
public struct CreditEvent: Hashable, Sendable, Codable {
    public var id: Int64
    public var firmID: Int64
    public var event: String
    public var balance: Credits
    public var threshold: Credits
    public var occurredAt: Date

    public init(id: Int64, firmID: Int64, event: String, balance: Credits, threshold: Credits, occurredAt: Date) {
        self.id = id
        self.firmID = firmID
        self.event = event
        self.balance = balance
        self.threshold = threshold
        self.occurredAt = occurredAt
    }
}
