public import Foundation
public import WLDomain

/// One event to deliver to a firm's webhook, with everything its payload needs.
public struct WebhookDelivery: Sendable {
    public var id: Int64
    public var firmID: Int64
    /// Attempts made before this one.
    public var attempts: Int
    public var url: String
    /// The signing secret; unsigned deliveries when `nil`.
    public var secret: String?
    /// A replaced secret still within its grace period: `webhook-signature` carries a signature for it too.
    public var previousSecret: String?
    /// The firm's timezone, for the payload's `timestamp`.
    public var timezone: String
    public var event: MessageEvent
    public var message: Message
}

/// What one delivery attempt decided.
public enum WebhookAttemptOutcome: Sendable, Hashable {
    /// A 2xx: delivered.
    case succeeded
    /// Failed; try again at this time.
    case retry(at: Date)
    /// Failed for the last time.
    case failed
    /// 410 Gone: the delivery fails and the firm's endpoint is disabled until it is set again.
    case disableEndpoint(reason: String)
}

extension WebhookStore {
    public func claimWebhookDeliveries(limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [WebhookDelivery] {
        try await claimWebhookDeliveries(limit: limit, owner: owner, lease: lease, now: now, excludingFirms: [])
    }
}

/// The webhook outbox: deliveries are written with their events (see ``MessageStore``) and taken from here.
public protocol WebhookStore: Sendable {
    /// ``claimWebhookDeliveries(limit:owner:lease:now:excludingFirms:)`` for every firm.
    func claimWebhookDeliveries(limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [WebhookDelivery]
    /// Leases up to `limit` due deliveries. A delivery is due only when no earlier event of the same message is
    /// still pending, so one message's events reach the receiver in sequence order.
    /// Firms in `excludingFirms` (those a deliverer is busy with) are skipped.
    func claimWebhookDeliveries(
        limit: Int, owner: String, lease: TimeInterval, now: Date, excludingFirms: Set<Int64>
    ) async throws
        -> [WebhookDelivery]
    /// Records one attempt (status code or error, latency) and its outcome, in one transaction.
    func recordWebhookAttempt(
        deliveryID: Int64, leaseOwner: String, statusCode: Int?, error: String?, latencyMilliseconds: Int, outcome: WebhookAttemptOutcome,
        now: Date
    ) async throws
}
