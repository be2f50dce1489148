public import WLServices

/// Stands in for the live provider when none is configured: every message is refused (and so refunded) with a
/// response that says why, rather than waiting forever or pretending to send.
public struct UnconfiguredSMSProvider: SMSProvider {
    public init() {}

    public func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        Dictionary(uniqueKeysWithValues: recipients.map { ($0.messageID, .rejected(reason: "No live SMS provider is configured")) })
    }
}
