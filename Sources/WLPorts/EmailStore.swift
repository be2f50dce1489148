public import Foundation
public import WLDomain

/// A firm's sender identity and tracking switch.
public struct EmailSettings: Hashable, Sendable {
    public var from: EmailAddress?
    public var fromName: String?
    public var replyTo: EmailAddress?
    /// Open pixel and link rewriting in HTML emails.
    public var tracking: Bool

    public init(from: EmailAddress? = nil, fromName: String? = nil, replyTo: EmailAddress? = nil, tracking: Bool = true) {
        self.from = from
        self.fromName = fromName
        self.replyTo = replyTo
        self.tracking = tracking
    }
}

/// An address a firm no longer sends to.
public struct Suppression: Hashable, Sendable {
    public var address: String
    public var reason: String
    public var createdAt: Date

    public init(address: String, reason: String, createdAt: Date) {
        self.address = address
        self.reason = reason
        self.createdAt = createdAt
    }
}

/// What a tracking hit counts.
public enum EngagementKind: String, Sendable {
    case open
    case click
}

/// Email-only state: sender identities, suppression lists, engagement, and the service's own secrets.
public protocol EmailStore: Sendable {
    func emailSettings(firmID: Int64) async throws -> EmailSettings
    /// - Throws: `.notFound` for an unknown firm.
    func setEmailSettings(firmID: Int64, _ settings: EmailSettings) async throws

    /// Adds (or keeps) `address` on the firm's suppression list; the address is stored lower-cased.
    func suppress(firmID: Int64, address: String, reason: String, now: Date) async throws
    /// Adds (or keeps) the recipient of email `messageID` on its firm's suppression list, read from the message as it
    /// is now: nothing when the recipient was erased meanwhile (an erasure between the refusal and this write must not
    /// have the address written back).
    func suppressRecipient(ofMessage messageID: Int64, reason: String, now: Date) async throws
    /// The firm's suppressed addresses, oldest first.
    func suppressions(firmID: Int64) async throws -> [Suppression]
    /// Removes an address; returns whether it was there.
    func removeSuppression(firmID: Int64, address: String) async throws -> Bool
    /// Which of `addresses` (lower-cased) the firm suppresses.
    func suppressed(firmID: Int64, among addresses: [String]) async throws -> Set<String>

    /// Counts an open or a click of an email, at most once a minute per email and kind (a hit less than 60 s after
    /// the last counted one of its kind changes nothing); the first of each kind also writes its event
    /// (`communication.email.opened` / `.clicked`) and webhook delivery. Returns the counts after, or `nil` when the
    /// email is unknown.
    func recordEngagement(messageID: Int64, kind: EngagementKind, now: Date) async throws -> Engagement?

    /// The service secret called `name`, created from `candidate` if there is none yet (every instance on one
    /// database ends up with the same value).
    func serviceSecret(_ name: String, candidate: String, now: Date) async throws -> String
}
