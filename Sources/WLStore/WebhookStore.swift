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
    /// What happened, and to what.
    public var subject: WebhookSubject
}

/// The event a webhook delivery carries, with the message or payment it is about (as it is now).
public enum WebhookSubject: Sendable {
    case message(MessageEvent, Message)
    case payment(PaymentEvent, Payment)

    /// The event's name, `communication.sms.delivered`.
    public var eventName: String {
        switch self {
        case .message(let event, _): event.event
        case .payment(let event, _): event.event
        }
    }

    /// The event's place among its message's (or payment's) events, from 1.
    public var sequence: Int {
        switch self {
        case .message(let event, _): event.sequence
        case .payment(let event, _): event.sequence
        }
    }

    /// An id unique across both kinds of event: `evt_12` for a message event, `evt_pay_3` for a payment event.
    public var eventKey: String {
        switch self {
        case .message(let event, _): "evt_\(event.id)"
        case .payment(let event, _): "evt_pay_\(event.id)"
        }
    }
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
    /// Leases up to `limit` due deliveries. A delivery is due only when no earlier event of the same message (or
    /// payment) is still pending, so one message's events reach the receiver in sequence order.
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
