public import Foundation

/// A webhook delivery with the queue's bookkeeping: everything recording an attempt reads and changes.
public struct WebhookDeliveryState: Sendable, Hashable {
    public var id: Int64
    public var firmID: Int64
    public var status: WebhookDeliveryStatus
    /// Attempts made so far.
    public var attempts: Int
    public var nextAttemptAt: Date
    public var leaseOwner: String?
    public var leaseUntil: Date?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var completedAt: Date?

    public init(
        id: Int64, firmID: Int64, status: WebhookDeliveryStatus, attempts: Int, nextAttemptAt: Date, leaseOwner: String?, leaseUntil: Date?,
        lastStatusCode: Int? = nil, lastError: String? = nil, completedAt: Date? = nil
    ) {
        self.id = id
        self.firmID = firmID
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.completedAt = completedAt
    }
}

/// A firm's webhook endpoint as the disabling policy sees it.
public struct WebhookEndpointHealth: Sendable, Hashable {
    /// The endpoint's URL now: an attempt made on another one (the firm changed it while the POST was in flight) says
    /// nothing about this endpoint's health.
    public var url: String?
    /// Since when every attempt has failed; `nil` after a success.
    public var failingSince: Date?
    /// When an attempt last failed, to within ``WebhookRules/lastFailureStep`` (exact when a run of failures starts).
    public var lastFailureAt: Date?
    public var disabledAt: Date?
    public var disabledReason: String?

    public init(
        url: String? = nil, failingSince: Date? = nil, lastFailureAt: Date? = nil, disabledAt: Date? = nil, disabledReason: String? = nil
    ) {
        self.url = url
        self.failingSince = failingSince
        self.lastFailureAt = lastFailureAt
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
    }
}

/// One attempt as the deliverer saw it, to be recorded.
public struct WebhookAttemptReport: Sendable, Hashable {
    public var deliveryID: Int64
    /// The receiver's status code; `nil` when none came (timeout, connection error).
    public var statusCode: Int?
    public var error: String?
    public var latencyMilliseconds: Int
    /// What the deliverer made of the answer (see ``WebhookRules/outcome(statusCode:attempt:now:random:policy:)``).
    public var outcome: WebhookAttemptOutcome
    /// When the attempt ended.
    public var finishedAt: Date
    /// The URL POSTed to; `nil`: the endpoint's URL, whatever it is when the attempt is recorded.
    public var url: String?

    public init(
        deliveryID: Int64, statusCode: Int?, error: String?, latencyMilliseconds: Int, outcome: WebhookAttemptOutcome, finishedAt: Date,
        url: String? = nil
    ) {
        self.url = url
        self.deliveryID = deliveryID
        self.statusCode = statusCode
        self.error = error
        self.latencyMilliseconds = latencyMilliseconds
        self.outcome = outcome
        self.finishedAt = finishedAt
    }

    /// When the attempt started.
    public var startedAt: Date { finishedAt.addingTimeInterval(-Double(latencyMilliseconds) / 1000) }
}

/// What a webhook attempt means and what recording it does. Pure: stores persist what it decides.
///
/// - 2xx succeeds; 410 Gone fails the delivery and disables the endpoint at once; anything else is retried on
///   ``RetryPolicy/webhooks`` and failed once its attempts are used.
/// - The disabling policy: a success clears the endpoint's failing mark; a failure sets it if unset, or restarts it
///   when no attempt has failed for ``failingGap`` (the endpoint was not tried in between: one with anything to
///   deliver is tried at least every 11 hours); an endpoint whose mark is ``failingLimit`` old when an attempt fails
///   is disabled ("Failing for 5 days"), like 410.
/// - An attempt is recorded only by the worker that holds the delivery's lease (fencing); recording ends the lease.
/// - An attempt on a URL that is no longer the endpoint's (changed while the POST was in flight) leaves the endpoint
///   alone; unless it succeeded, its delivery is due again at once, on the new URL, even if its attempts are used.
/// - An attempt that did not succeed on an endpoint already disabled (by another attempt while this one was in
///   flight) leaves the endpoint alone and holds its delivery: pending, due at once, so it is sent when the endpoint
///   is set again (a disabled endpoint's deliveries are not claimed). Only the attempt that disables fails its own.
public enum WebhookRules {
    /// How long an endpoint may keep failing before it is disabled: 5 days.
    public static let failingLimit: TimeInterval = 5 * 86_400
    /// A failing mark whose last failure is older than this is stale: the next failure starts a new run. Longer than
    /// the longest wait between retries (``RetryPolicy/webhooks``: 10 hours, with jitter 11). The last failure is kept
    /// to within ``lastFailureStep``, so a run ends after 23 to 24 hours without a failure.
    public static let failingGap: TimeInterval = 86_400
    /// The last failure's time is moved on at most this often, so a failing endpoint's row is written once an hour,
    /// not at every failed attempt.
    public static let lastFailureStep: TimeInterval = 3_600
    /// Why a 410 disabled an endpoint.
    public static let goneReason = "The endpoint answered 410 Gone"
    /// Why ``failingLimit`` disabled an endpoint.
    public static let failingReason = "Failing for 5 days"

    /// What the answer to attempt number `attempt` (1-based) means.
    /// - Parameters:
    ///   - statusCode: The receiver's status, or `nil` when none came.
    ///   - random: In 0…1, for the retry's jitter.
    public static func outcome(
        statusCode: Int?, attempt: Int, now: Date, random: Double, policy: RetryPolicy = .webhooks
    ) -> WebhookAttemptOutcome {
        if let statusCode, (200..<300).contains(statusCode) { return .succeeded }
        if statusCode == 410 { return .disableEndpoint(reason: goneReason) }
        switch policy.decide(afterAttempt: attempt, random: random) {
        case .retry(let wait): return .retry(at: now.addingTimeInterval(wait))
        case .giveUp: return .failed
        }
    }

    /// The disabling policy: applies `outcome`, reached at `now`, to the endpoint.
    /// - Returns: The outcome to record: a failure of an endpoint failing for ``failingLimit`` disables it.
    public static func settle(_ outcome: WebhookAttemptOutcome, endpoint: inout WebhookEndpointHealth, now: Date) -> WebhookAttemptOutcome {
        var outcome = outcome
        if outcome == .succeeded {
            endpoint.failingSince = nil
        } else {
            let recent = endpoint.lastFailureAt.map { now.timeIntervalSince($0) <= failingGap } ?? false
            let since = (recent ? endpoint.failingSince : nil) ?? now
            if since != endpoint.failingSince || endpoint.lastFailureAt.map({ now.timeIntervalSince($0) >= lastFailureStep }) ?? true {
                endpoint.lastFailureAt = now
            }
            endpoint.failingSince = since
            if now.timeIntervalSince(since) >= failingLimit {
                if case .disableEndpoint = outcome {} else { outcome = .disableEndpoint(reason: failingReason) }
            }
        }
        if case .disableEndpoint(let reason) = outcome {
            endpoint.disabledAt = now
            endpoint.disabledReason = reason
        }
        return outcome
    }

    /// Records `report` on its delivery, if `leaseOwner` still holds the delivery's lease: counts the attempt, moves
    /// the delivery (pending until its retry, else succeeded or failed), ends the lease, and applies the disabling
    /// policy to the endpoint.
    /// - Returns: The outcome recorded, or `nil` when the lease is another worker's (nothing changes: the result is
    ///   dropped).
    @discardableResult
    public static func apply(
        _ report: WebhookAttemptReport, leaseOwner: String, to delivery: inout WebhookDeliveryState, endpoint: inout WebhookEndpointHealth
    ) -> WebhookAttemptOutcome? {
        guard delivery.leaseOwner == leaseOwner, delivery.id == report.deliveryID else { return nil }
        let now = report.finishedAt
        let outcome: WebhookAttemptOutcome
        if let url = report.url, url != endpoint.url {
            outcome = report.outcome == .succeeded ? .succeeded : .retry(at: now)
        } else if endpoint.disabledAt != nil, report.outcome != .succeeded {
            // Disabled while this POST was on its way (another lane's 410, the 5-day rule): held, not failed, and sent
            // once the endpoint is set again. The endpoint is left as it is.
            outcome = .retry(at: now)
        } else {
            outcome = settle(report.outcome, endpoint: &endpoint, now: now)
        }
        delivery.attempts += 1
        delivery.leaseOwner = nil
        delivery.leaseUntil = nil
        delivery.lastStatusCode = report.statusCode
        delivery.lastError = report.error
        switch outcome {
        case .succeeded: delivery.status = .succeeded
        case .retry: delivery.status = .pending
        case .failed, .disableEndpoint: delivery.status = .failed
        }
        if case .retry(let at) = outcome { delivery.nextAttemptAt = at } else { delivery.nextAttemptAt = now }
        delivery.completedAt = delivery.status == .pending ? nil : now
        return outcome
    }
}
