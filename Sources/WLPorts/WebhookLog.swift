public import Foundation
public import WLDomain

/// One attempt at a webhook delivery, as the delivery log shows it.
public struct WebhookAttempt: Hashable, Sendable {
    public var attempt: Int
    public var startedAt: Date
    /// The receiver's status code, or `nil` when no answer came (timeout, connection error).
    public var statusCode: Int?
    public var latencyMilliseconds: Int
    public var error: String?

    public init(attempt: Int, startedAt: Date, statusCode: Int?, latencyMilliseconds: Int, error: String?) {
        self.attempt = attempt
        self.startedAt = startedAt
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
    }
}

/// A webhook delivery with its attempts, for the delivery log.
public struct WebhookDeliveryRecord: Hashable, Sendable {
    public var id: Int64
    /// The message event's id, or the payment event's.
    public var eventID: Int64
    /// The message it is about; `nil` for a payment event.
    public var messageID: Int64?
    /// The payment it is about; `nil` for a message event.
    public var paymentID: Int64?
    public var event: String
    public var sequence: Int
    public var status: WebhookDeliveryStatus
    public var nextAttemptAt: Date?
    public var createdAt: Date
    public var completedAt: Date?
    /// The newest ``WebhookDeliveryRecord/shownAttempts`` attempts, oldest first: redelivery adds one each time, so a
    /// delivery's log has no end of its own.
    public var attempts: [WebhookAttempt]
    /// Every attempt made, shown or not.
    public var attemptCount: Int

    /// How many of a delivery's attempts a record carries, the newest.
    public static let shownAttempts = 20

    public init(
        id: Int64, eventID: Int64, messageID: Int64?, paymentID: Int64?, event: String, sequence: Int, status: WebhookDeliveryStatus,
        nextAttemptAt: Date?, createdAt: Date, completedAt: Date?, attempts: [WebhookAttempt], attemptCount: Int? = nil
    ) {
        self.id = id
        self.eventID = eventID
        self.messageID = messageID
        self.paymentID = paymentID
        self.event = event
        self.sequence = sequence
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.attempts = attempts
        self.attemptCount = attemptCount ?? attempts.count
    }
}

/// Which deliveries the log returns; `nil` fields do not filter.
public struct WebhookDeliveryFilter: Hashable, Sendable {
    /// A message event's id.
    public var eventID: Int64?
    public var messageID: Int64?
    public var paymentID: Int64?
    public var status: WebhookDeliveryStatus?

    public init(eventID: Int64? = nil, messageID: Int64? = nil, paymentID: Int64? = nil, status: WebhookDeliveryStatus? = nil) {
        self.eventID = eventID
        self.messageID = messageID
        self.paymentID = paymentID
        self.status = status
    }
}

/// A page of a firm's webhook deliveries, newest first, and where the next one starts.
///
/// Like ``MessagePage``: the store reads at most a fixed number of the firm's deliveries for one page (those of the
/// message, payment or event asked for, when given) and filters them by status; a page that read that many before it
/// was full ends there, with ``nextStartingAfter`` the last one read.
public struct WebhookDeliveryPage: Sendable {
    /// The page's deliveries, newest first, each with its newest attempts.
    public var deliveries: [WebhookDeliveryRecord]
    /// Where the next page starts (its `startingAfter`), or `nil` when no older delivery can match.
    public var nextStartingAfter: Int64?

    public init(deliveries: [WebhookDeliveryRecord], nextStartingAfter: Int64?) {
        self.deliveries = deliveries
        self.nextStartingAfter = nextStartingAfter
    }
}

/// The delivery log.
public protocol WebhookLogStore: Sendable {
    /// A page of the firm's deliveries matching `filter`, newest first, each with its newest attempts: up to `limit`
    /// below the id `startingAfter` (see ``WebhookDeliveryPage``).
    func webhookDeliveryPage(
        firmID: Int64, filter: WebhookDeliveryFilter, limit: Int, startingAfter: Int64?
    ) async throws -> WebhookDeliveryPage
    /// Puts one of the firm's deliveries back in the queue, due now (one more attempt after its earlier ones).
    /// - Throws: `.notFound`; `.conflict` while it is pending or when the firm's endpoint is disabled or unset.
    func redeliverWebhook(firmID: Int64, deliveryID: Int64, now: Date) async throws -> WebhookDeliveryRecord
}

extension WebhookLogStore {
    /// The deliveries of the first ``webhookDeliveryPage(firmID:filter:limit:startingAfter:)`` alone, without where the
    /// next starts: only for a firm whose log fits one window (tests, small tools).
    public func firstPageDeliveries(
        firmID: Int64, filter: WebhookDeliveryFilter, limit: Int, startingAfter: Int64?
    ) async throws -> [WebhookDeliveryRecord] {
        try await webhookDeliveryPage(firmID: firmID, filter: filter, limit: limit, startingAfter: startingAfter).deliveries
    }
}
