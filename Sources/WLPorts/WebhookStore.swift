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

    public init(
        id: Int64, firmID: Int64, attempts: Int, url: String, secret: String?, previousSecret: String?, timezone: String, subject: WebhookSubject
    ) {
        self.id = id
        self.firmID = firmID
        self.attempts = attempts
        self.url = url
        self.secret = secret
        self.previousSecret = previousSecret
        self.timezone = timezone
        self.subject = subject
    }
}

/// The event a webhook delivery carries, with the message or payment it is about (as it is now).
public enum WebhookSubject: Sendable {
    case message(MessageEvent, Message)
    case payment(PaymentEvent, Payment)
    /// A low-balance alert (see ``LowBalanceRule``).
    case credits(CreditEvent)

    /// The event's name, `communication.sms.delivered`.
    public var eventName: String {
        switch self {
        case .message(let event, _): event.event
        case .payment(let event, _): event.event
        case .credits(let event): event.event
        }
    }

    /// The event's place among its message's (or payment's) events, from 1.
    public var sequence: Int {
        switch self {
        case .message(let event, _): event.sequence
        case .payment(let event, _): event.sequence
        case .credits: 1
        }
    }

    /// When the event happened.
    public var occurredAt: Date {
        switch self {
        case .message(let event, _): event.occurredAt
        case .payment(let event, _): event.occurredAt
        case .credits(let event): event.occurredAt
        }
    }

    /// An id unique across both kinds of event: `evt_12` for a message event, `evt_pay_3` for a payment event, `evt_cred_4` for
    /// a credit event.
    public var eventKey: String {
        switch self {
        case .message(let event, _): "evt_\(event.id)"
        case .payment(let event, _): "evt_pay_\(event.id)"
        case .credits(let event): "evt_cred_\(event.id)"
        }
    }
}

extension WebhookStore {
    public func claimWebhookDeliveries(limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [WebhookDelivery] {
        try await claimWebhookDeliveries(limit: limit, owner: owner, lease: lease, now: now, excludingFirms: [])
    }

    /// Records one attempt (status code or error, latency) and its outcome, in one transaction.
    /// - Throws: `.conflict` when the delivery is no longer leased to `leaseOwner` (nothing is recorded).
    public func recordWebhookAttempt(
        deliveryID: Int64, leaseOwner: String, statusCode: Int?, error: String?, latencyMilliseconds: Int, outcome: WebhookAttemptOutcome,
        now: Date
    ) async throws {
        let report = WebhookAttemptReport(
            deliveryID: deliveryID, statusCode: statusCode, error: error, latencyMilliseconds: latencyMilliseconds, outcome: outcome,
            finishedAt: now)
        guard try await recordWebhookAttempts([report], leaseOwner: leaseOwner).contains(deliveryID) else {
            throw DomainError(.conflict, "Webhook delivery \(deliveryID) is no longer leased to \(leaseOwner).")
        }
    }
}

/// The webhook outbox: deliveries are written with their events (see ``MessageStore``) and taken from here.
///
/// A leased queue like the messages': a claim leases deliveries to an owner, the owner renews the lease while it
/// works, and only the owner's results are recorded (fencing).
public protocol WebhookStore: Sendable {
    /// ``claimWebhookDeliveries(limit:owner:lease:now:excludingFirms:)`` for every firm.
    func claimWebhookDeliveries(limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [WebhookDelivery]
    /// Leases up to `limit` due deliveries to `owner` until `now + lease`. A delivery is due only when no earlier
    /// event of the same message (or payment) is still pending, so one message's events reach the receiver in
    /// sequence order. Firms in `excludingFirms` (those a deliverer is busy with) are skipped. On PostgreSQL
    /// concurrent claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`).
    func claimWebhookDeliveries(
        limit: Int, owner: String, lease: TimeInterval, now: Date, excludingFirms: Set<Int64>
    ) async throws
        -> [WebhookDelivery]
    /// Extends `owner`'s lease on these deliveries to `now + lease` (a worker still busy with them); deliveries
    /// leased to another owner, or no longer pending, are left alone.
    /// - Returns: The deliveries whose lease was extended: a worker starts no POST for the others (fencing).
    func renewWebhookLeases(deliveryIDs: [Int64], owner: String, lease: TimeInterval, now: Date) async throws -> Set<Int64>
    /// Records attempts, in order, with ``WebhookRules``: for each delivery still leased to `leaseOwner`, its
    /// attempt row, its new state and its endpoint's (failing mark, disabling), all in one transaction and a constant
    /// number of statements. Attempts on deliveries leased to another owner, or to none, are dropped.
    /// - Returns: The ids of the deliveries whose attempt was recorded.
    func recordWebhookAttempts(_ attempts: [WebhookAttemptReport], leaseOwner: String) async throws -> Set<Int64>
}
