public import WLDomain

/// One message handed to a provider.
public struct OutgoingSMS: Sendable, Hashable {
    public var messageID: Int64
    /// Normalised `254…` digits.
    public var recipient: String

    public init(messageID: Int64, recipient: String) {
        self.messageID = messageID
        self.recipient = recipient
    }
}

/// What a provider said about one message at send time.
public enum SendOutcome: Sendable, Hashable {
    /// Accepted under the provider's id; `report` when the provider already knows the outcome (the sandbox).
    case accepted(providerMessageID: String, report: DeliveryReport?)
    /// Refused for good (bad number…): the message fails and its credits are refunded.
    case rejected(reason: String)
    /// Refused because the subscriber blocked the sender (Africa's Talking's `UserInBlacklist`): as `rejected`, and
    /// the number joins the firm's opt-out list.
    case blacklisted(reason: String)
    /// Not sent this time (timeout, 5xx, 429): retried with backoff, `retryAfter` seconds at the least.
    case transient(reason: String, retryAfter: Double?)
}

/// The SMS provider port. Adapters: `SandboxSMSProvider` (nothing leaves the process) and `AfricasTalkingProvider`.
public protocol SMSProvider: Sendable {
    /// Sends one text from one sender ID to several recipients in one call, and says what happened to each, by
    /// message id. A message missing from the answer is treated as a transient failure.
    /// - Parameter sender: The alphanumeric sender ID; `nil`: the provider account's default.
    func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome]

    /// The most recipients one of its calls takes: the dispatcher hands it no more at a time, so that each call starts
    /// only while the lease on its messages is held (a long list sent in one go as several calls could outlast it).
    var recipientsPerCall: Int { get }
}

extension SMSProvider {
    /// Any number: the provider sends one text to every recipient in one call.
    public var recipientsPerCall: Int { Int.max }
}
