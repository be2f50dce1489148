public import Foundation

/// What the dispatcher (or a provider's delivery report) learned about a message; ``DispatchRules`` decides what it
/// does to the message, the firm's credits and the events.
public enum DispatchOutcome: Sendable, Hashable {
    /// Take the message's credits and mark it processing; fails it with "Insufficient SMS credits" (charging
    /// nothing) when the balance cannot pay.
    case charge
    /// The provider accepted it under this id; `report` when it already knows the outcome (the sandbox), applied
    /// in the same transaction so a crash cannot leave an accepted message without its outcome.
    case submitted(providerMessageID: String, report: DeliveryReport?)
    /// A delivery report: processing, delivered or failed, with the provider's words and the network.
    case report(MessageStatus, response: String, network: String?)
    /// A transient failure: try again at `at`.
    case retry(at: Date, response: String)
    /// Not to be sent before `until` (quiet hours): the message waits, its attempts unchanged.
    case hold(until: Date, response: String)
    /// A permanent failure; `refund` returns the credits charged (a ledger row).
    case fail(response: String, refund: Bool)

    /// Whether applying it may read or move the firm's balance.
    public var movesCredits: Bool {
        switch self {
        case .charge: true
        case .fail(_, let refund): refund
        case .submitted, .report, .retry, .hold: false
        }
    }
}

/// The text a cancelled message carries as its response.
public let cancelledResponse = "Cancelled"
/// The response of a message its firm could not pay for.
public let insufficientCreditsResponse = "Insufficient SMS credits"
/// The response of a queued message whose recipient opted out before it was sent (nothing charged).
public let optedOutResponse = "Opted out"
/// The response of a promotional message whose contact withdrew (or never gave) consent before it was sent, at a firm
/// that requires it.
public let noConsentResponse = "No promotional consent"
/// The response of a queued email whose address its firm suppressed before it was sent.
public let suppressedResponse = "Suppressed"
/// The response of a promotional message waiting for the sending window.
public let quietHoursResponse = "Held for quiet hours"
