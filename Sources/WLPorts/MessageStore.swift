public import Foundation
public import WLDomain

/// Which messages a list returns; `nil` fields do not filter.
public struct MessageFilter: Sendable, Hashable {
    public var channel: Channel
    public var blastID: String?
    public var status: MessageStatus?
    public var reference: String?
    /// Matched ignoring case (email local parts keep theirs).
    public var recipient: String?
    public var createdFrom: Date?
    public var createdTo: Date?
    /// SMS only.
    public var category: SMSCategory?

    public init(
        channel: Channel, blastID: String? = nil, status: MessageStatus? = nil, reference: String? = nil, recipient: String? = nil,
        createdFrom: Date? = nil, createdTo: Date? = nil, category: SMSCategory? = nil
    ) {
        self.channel = channel
        self.blastID = blastID
        self.status = status
        self.reference = reference
        self.recipient = recipient
        self.createdFrom = createdFrom
        self.createdTo = createdTo
        self.category = category
    }
}

/// A page of a firm's messages, newest first, and where the next one starts.
///
/// The store reads at most a fixed number of the firm's messages for one page (after those a `blast_id`,
/// `recipient` or `reference` filter finds through an index), newest first, and filters them by the rest (channel,
/// status, category, dates). When that many were read before the page was full, the page ends there and
/// ``nextStartingAfter`` is the last one read: a filter that matches rarely costs each request the same bounded
/// work, never a walk through every message of a busy firm.
public struct MessagePage: Sendable, Hashable {
    /// The page's messages, newest first.
    public var messages: [Message]
    /// Where the next page starts (its `startingAfter`), or `nil` when no older message can match.
    public var nextStartingAfter: Int64?

    public init(messages: [Message], nextStartingAfter: Int64?) {
        self.messages = messages
        self.nextStartingAfter = nextStartingAfter
    }
}

extension MessageStore {
    /// The messages of the first ``messagePage(firmID:filter:limit:startingAfter:)`` alone, without where the next
    /// starts: only for a firm whose messages fit one window (tests, small tools).
    public func firstPageMessages(firmID: Int64, filter: MessageFilter, limit: Int, startingAfter: Int64?) async throws -> [Message] {
        try await messagePage(firmID: firmID, filter: filter, limit: limit, startingAfter: startingAfter).messages
    }
}

/// What cancelling a blast did.
public struct BlastCancellation: Hashable, Sendable, Codable {
    /// Messages cancelled now.
    public var cancelled: Int
    /// Messages cancelled before.
    public var alreadyCancelled: Int
    /// Messages whose sending had begun.
    public var notCancellable: Int

    public init(cancelled: Int, alreadyCancelled: Int, notCancellable: Int) {
        self.cancelled = cancelled
        self.alreadyCancelled = alreadyCancelled
        self.notCancellable = notCancellable
    }
}

/// A blast to write, with its messages, at `now`.
public struct BlastWrite: Sendable {
    public var blast: NewBlast
    /// Recipients are distinct within a blast.
    public var messages: [NewMessage]
    public var now: Date

    public init(blast: NewBlast, messages: [NewMessage], now: Date) {
        self.blast = blast
        self.messages = messages
        self.now = now
    }
}

extension MessageStore {
    /// Writes a blast and all its messages (status pending) in one transaction.
    /// - Returns: The messages, in the order given.
    public func createBlast(_ blast: NewBlast, messages: [NewMessage], now: Date) async throws -> [Message] {
        try await createBlasts([BlastWrite(blast: blast, messages: messages, now: now)])[0]
    }
}

/// Blasts, messages, their events, and the dispatch queue that the messages themselves form.
public protocol MessageStore: Sendable {
    /// Writes these blasts and all their messages (status pending) in one transaction, in a constant number of
    /// statements (group commit of concurrent requests).
    /// - Returns: Each blast's messages, in the order given.
    /// - Throws: `.duplicate` when a blast id exists (nothing of the batch is written).
    func createBlasts(_ blasts: [BlastWrite]) async throws -> [[Message]]
    /// The templates of these blasts, by blast id (unknown ids are left out). An email message whose body is empty
    /// is sent with its blast's template: a message without placeholders is stored once per blast.
    func blastTemplates(ids: Set<String>) async throws -> [String: String]
    /// How full each queue is at `now` (see ``QueueLevel``), every queue and status listed even when empty.
    func queueLevels(now: Date) async throws -> [QueueLevel]
    /// One of the firm's messages, or `nil` (also for another firm's id).
    func message(firmID: Int64, id: Int64) async throws -> Message?
    /// A page of the firm's messages matching `filter`, newest first: up to `limit` below the id `startingAfter`. A
    /// page reads a bounded number of the firm's messages (see ``MessagePage``), so it may hold fewer than `limit`
    /// while more may match further on.
    func messagePage(firmID: Int64, filter: MessageFilter, limit: Int, startingAfter: Int64?) async throws -> MessagePage
    /// The message's events, in sequence order.
    func events(firmID: Int64, messageID: Int64) async throws -> [MessageEvent]

    /// Cancels a message that is still pending and not yet taken for sending (again: no change).
    /// - Throws: `.notFound`; `.conflict` once sending has begun.
    func cancelMessage(firmID: Int64, id: Int64, now: Date) async throws -> Message
    /// Cancels every message of the blast that is still pending.
    /// - Throws: `.notFound` for an unknown blast; `.conflict` when every message had begun sending.
    func cancelBlast(firmID: Int64, blastID: String, channel: Channel, now: Date) async throws -> BlastCancellation

    /// Leases up to `limit` due messages (queued or charged, due, and not leased by a live worker) to `owner` until
    /// `now + lease`. On PostgreSQL concurrent claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`).
    func claimDue(channel: Channel, limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [Message]
    /// Claims as ``claimDue(channel:limit:owner:lease:now:)`` does and, in the same transaction, applies what `decide`
    /// answers for the claimed messages (as ``record(_:leaseOwner:now:)`` does): the round's charges commit with its
    /// claim, and each message row is written once for both.
    /// - Parameter decide: Given the claimed messages, their firms and which of their numbers are opted out, the
    ///   outcomes to apply. It runs inside the transaction: it must be quick and touch nothing else.
    /// - Returns: The batch as `decide` saw it, and its messages after the outcomes, in the same order.
    func claimDue(
        channel: Channel, limit: Int, owner: String, lease: TimeInterval, now: Date,
        deciding decide: @escaping @Sendable (ClaimedBatch) -> [(messageID: Int64, outcome: DispatchOutcome)]
    ) async throws -> (batch: ClaimedBatch, after: [Message])
    /// Extends `owner`'s lease on these messages to `now + lease` (a worker still busy with them); messages leased to
    /// another owner, or no longer waiting to be sent, are left alone.
    /// - Returns: The messages whose lease was extended: a worker starts no send for the others (fencing).
    func renewLeases(messageIDs: [Int64], owner: String, lease: TimeInterval, now: Date) async throws -> Set<Int64>
    /// Applies `outcome` to a leased message (its lease must still be `leaseOwner`'s) and returns it after.
    /// Moves that statuses do not allow (backwards, or out of a final status) change nothing.
    func record(_ outcome: DispatchOutcome, messageID: Int64, leaseOwner: String, now: Date) async throws -> Message
    /// Applies many outcomes in ONE transaction, in order (a batch of charges for one firm is paid in order until
    /// the balance runs out). Messages no longer leased to `leaseOwner` are skipped. A message submitted here under a
    /// provider id whose delivery reports came first gets them applied in the same transaction.
    /// - Returns: The messages changed, in the order given.
    func record(_ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], leaseOwner: String, now: Date) async throws -> [Message]
    /// Applies a provider's delivery report to the message it sent under `providerMessageID`. Duplicate and
    /// out-of-order reports change nothing. A report for an id no message carries yet is kept, and applied when a
    /// send under that id is recorded (``record(_:leaseOwner:now:)``); `nil` then.
    /// - Returns: The message after, and whether the report changed it.
    func applyReport(
        providerMessageID: String, status: MessageStatus, response: String, network: String?, now: Date
    ) async throws -> (message: Message, changed: Bool)?
}

extension MessageStore {
    /// ``applyReport(providerMessageID:status:response:network:now:)``'s message.
    public func recordReport(
        providerMessageID: String, status: MessageStatus, response: String, network: String?, now: Date
    ) async throws -> Message? {
        try await applyReport(providerMessageID: providerMessageID, status: status, response: response, network: network, now: now)?.message
    }
}

/// A claim as its decision sees it (see ``MessageStore/claimDue(channel:limit:owner:lease:now:deciding:)``).
public struct ClaimedBatch: Sendable {
    /// The claimed messages, oldest due first.
    public var messages: [Message]
    /// The firms that sent them, by id.
    public var firms: [Int64: Firm]
    /// The numbers of claimed messages that are on their firm's opt-out list.
    public var optedOut: Set<FirmPhone>
    /// The numbers of promotional messages, of firms that require consent, whose contact has none now.
    public var withoutConsent: Set<FirmPhone>

    public init(messages: [Message] = [], firms: [Int64: Firm] = [:], optedOut: Set<FirmPhone> = [], withoutConsent: Set<FirmPhone> = []) {
        self.messages = messages
        self.firms = firms
        self.optedOut = optedOut
        self.withoutConsent = withoutConsent
    }
}
