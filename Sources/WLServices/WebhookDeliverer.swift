public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
public import WLDomain
public import WLPorts

/// Delivers the webhook outbox: claims due deliveries under a lease, signs and POSTs each, and records every
/// attempt. 2xx succeeds; anything else (timeouts, redirects, 4xx, 5xx) is retried on ``RetryPolicy/webhooks``, then
/// failed; 410 Gone fails the delivery and disables the endpoint at once (see ``WebhookRules``).
///
/// The queue works like the SMS one: the lease (`webhooks.leaseSeconds`) is renewed every third of it while a lane's
/// deliveries are in flight, no POST starts for a delivery whose lease is not held (see ``LeaseHeartbeat``), and the
/// store records an attempt only for the worker that holds its lease (a stale worker's result is dropped and counted
/// in a warning). Attempts that finish at the same time are recorded in shared transactions (``GroupCommit``).
/// Given the SMS dispatcher's ``DispatchBacklog``, each new claim first waits while that backlog lasts, up to its
/// patience.
public final class WebhookDeliverer: Service {
    let store: any Store
    let time: any TimeSource
    let transport: any WebhookTransport
    let ready: ReadinessGate?
    let logger: Logger
    let metrics: any WorkMetrics
    let owner: String
    /// What this deliverer's lanes are delivering.
    let working = WorkingSet()
    /// Deliveries claimed per round.
    let batchSize: Int
    /// Deliveries in flight at once for one firm, across its lanes, at first.
    let perEndpoint: Int
    /// Lanes one firm may have at once: the next lane's POSTs start while the last one's attempts are recorded and
    /// the claim after it is made, so the endpoint is not left idle between lanes.
    static let lanesPerFirm = 2
    let pollInterval: Duration
    /// How long a claim holds; renewed every third of it while its deliveries are in flight.
    let lease: TimeInterval
    /// Lanes running per firm; a firm with ``lanesPerFirm`` of them is not claimed for until one ends.
    let lanes = Mutex<[Int64: Int]>([:])
    /// The POST slots of each firm (from `perEndpoint`, growing while its endpoint answers 2xx up to `maxPerEndpoint`:
    /// see ``ConcurrencyWindow``), shared by its lanes.
    let slots: EndpointSlots
    /// Wakes the claiming loop when a lane ends or new outbox rows are committed.
    let wake: WorkSignal
    /// Set once the process begins to stop: nothing is claimed after it.
    let draining: Draining?
    /// Records the attempts of concurrent deliveries in shared transactions; says for each whether it was recorded.
    let recorder: GroupCommit<WebhookAttemptReport, Bool>
    /// The SMS dispatcher's backlog: each claim waits while it lasts, up to its patience (see ``DispatchBacklog``).
    let backlog: DispatchBacklog?

    /// - Parameters:
    ///   - lease: Seconds a claim holds (`webhooks.leaseSeconds`).
    ///   - signal: Signalled when outbox rows are committed (``SQLStore/outboxWritten``), so a new event is delivered
    ///     at once, not at the next poll.
    ///   - perEndpoint: POSTs in flight to one firm's endpoint at first (`webhooks.concurrency`).
    ///   - maxPerEndpoint: The most they grow to (`webhooks.maxConcurrency`); `nil`: `perEndpoint`, a fixed limit.
    ///   - backlog: The SMS dispatcher's backlog, which new claims make way for (`webhooks.yieldToDispatchMilliseconds`).
    public init(
        store: any Store, time: any TimeSource, transport: any WebhookTransport, ready: ReadinessGate? = nil, batchSize: Int = 200,
        perEndpoint: Int = 8, maxPerEndpoint: Int? = nil, pollInterval: Duration = .milliseconds(500), lease: TimeInterval = 60,
        signal: WorkSignal = WorkSignal(), backlog: DispatchBacklog? = nil, logger: Logger, metrics: any WorkMetrics = NoWorkMetrics(),
        draining: Draining? = nil
    ) {
        self.draining = draining
        self.backlog = backlog
        self.metrics = metrics
        self.store = store
        self.time = time
        self.transport = transport
        self.ready = ready
        self.batchSize = batchSize
        self.perEndpoint = max(1, perEndpoint)
        self.slots = EndpointSlots(start: self.perEndpoint, ceiling: max(self.perEndpoint, maxPerEndpoint ?? perEndpoint))
        self.pollInterval = pollInterval
        self.lease = lease
        self.wake = signal
        self.logger = logger
        let owner = "webhooks-" + UUID().uuidString.prefix(8).lowercased()
        self.owner = owner
        self.recorder = GroupCommit { reports in
            let recorded = try await store.recordWebhookAttempts(reports, leaseOwner: owner)
            return reports.map { recorded.contains($0.deliveryID) }
        }
    }

    /// Delivers continuously until graceful shutdown: each firm gets up to ``lanesPerFirm`` lanes of its own (at most
    /// its window's deliveries in flight across them), and a new claim never waits for a busy lane, so a slow or dead
    /// endpoint delays only its own firm. Events of one message or payment still arrive in order: a claim never takes
    /// an event while an earlier one of the same subject is pending, and a leased one is pending. On shutdown (or
    /// once `draining` has begun) nothing new is claimed and the lanes finish what they hold.
    public func run() async throws {
        await ready?.wait()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled && draining?.hasBegun != true {
                // Before the claim's clock is read: the wait can last up to the backlog's patience.
                await backlog?.yield()
                // The process may have begun to stop while it waited.
                if draining?.hasBegun == true { break }
                let claimed: [WebhookDelivery]
                let claimedAt = time.now
                var wait = pollInterval
                do {
                    claimed = try await store.claimWebhookDeliveries(
                        limit: batchSize, owner: owner, lease: lease, now: claimedAt, excludingFirms: self.fullFirms())
                } catch {
                    if error.isDatabaseUnavailable {
                        wait = max(pollInterval, .seconds(1))
                    } else {
                        logger.error("webhook claim failed", metadata: ["error": "\(error)"])
                    }
                    claimed = []
                }
                for (firm, deliveries) in Dictionary(grouping: claimed, by: \.firmID) {
                    self.lanes.withLock { $0[firm, default: 0] += 1 }
                    group.addTask {
                        await self.lane(deliveries, claimedAt: claimedAt)
                        self.lanes.withLock { lanes in
                            lanes[firm, default: 1] -= 1
                            if lanes[firm] == 0 { lanes[firm] = nil }
                        }
                        self.wake.signal()
                    }
                }
                if claimed.isEmpty { await wake.wait(upTo: wait) }
            }
        }
        await draining?.waitForOwnShutdown()
    }

    /// Firms that have all the lanes they may have.
    private func fullFirms() -> Set<Int64> {
        lanes.withLock { lanes in Set(lanes.filter { $0.value >= Self.lanesPerFirm }.keys) }
    }

    /// One round for tests and tools: claim, deliver everything claimed (firms in parallel), record.
    /// - Returns: How many deliveries were claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let claimedAt = time.now
        let claimed = try await store.claimWebhookDeliveries(limit: batchSize, owner: owner, lease: lease, now: claimedAt)
        await withTaskGroup(of: Void.self) { group in
            for deliveries in Dictionary(grouping: claimed, by: \.firmID).values {
                group.addTask { await self.lane(deliveries, claimedAt: claimedAt) }
            }
        }
        return claimed.count
    }

    /// One firm's deliveries under a renewed lease, each POST in one of the firm's slots (shared with its other
    /// lane). A slot is free as soon as its POST is answered: the attempt is recorded beside the next POSTs (in
    /// transactions shared with other lanes), and the lane ends once every attempt is recorded. A delivery that passed
    /// the lease check may wait for a slot behind the firm's other POSTs (minutes, when its window has shrunk to one
    /// slow POST at a time), so its lease is checked again once it has the slot, and it is not POSTed unless a third
    /// of the lease is still left.
    private func lane(_ deliveries: [WebhookDelivery], claimedAt: Date) async {
        let heartbeat = LeaseHeartbeat(owner: owner, working: working, lease: lease, time: time, logger: logger, items: "webhook deliveries") {
            [store] ids, owner, lease, now in
            try await store.renewWebhookLeases(deliveryIDs: ids, owner: owner, lease: lease, now: now)
        }
        let (reports, sink) = AsyncStream.makeStream(of: WebhookAttemptReport.self)
        async let dropped = record(reports)
        // As many at once as the firm's window allows now, so a delivery that passed its lease check waits for a slot
        // about one POST at most, not behind a whole batch after the window shrank.
        let concurrency = deliveries.first.map { slots.limit($0.firmID) } ?? perEndpoint
        // After a 410 the endpoint is disabled: the lane's other deliveries are not POSTed to it, and their leases
        // lapse (a disabled endpoint is not claimed for; re-enabled, they are delivered once the lease has passed).
        let gone = GoneMark()
        _ = await heartbeat.run(
            deliveries.map { ([$0.id], $0) }, claimedAt: claimedAt, concurrency: concurrency, handback: .afterItsAnswerIsWritten
        ) { delivery, _, lease in
            let answered = await self.slots.withSlot(delivery.firmID) { () async -> WebhookAttemptReport? in
                // The slot may have come after minutes behind slow POSTs: the lease is checked again, as when the job
                // started, and the endpoint may have answered 410 meanwhile (once it has, the lane's later jobs take
                // a slot only to give it back at once).
                guard lease.holds([delivery.id]), !gone.isSet else { return nil }
                return await self.attempt(delivery)
            } succeeded: { report in
                report.map { $0.statusCode.map { (200..<300).contains($0) } ?? false }
            }
            guard let report = answered else {
                // Left to its lease, like a job the heartbeat did not start.
                lease.giveUp([delivery.id])
                self.working.release([delivery.id])
                return
            }
            if case .disableEndpoint = report.outcome { gone.set() }
            sink.yield(report)
        }
        sink.finish()
        let count = await dropped
        if count > 0 {
            logger.warning(
                "webhook attempts dropped: the lease had passed to another worker or the database was away; each is POSTed again",
                metadata: ["owner": "\(owner)", "count": "\(count)"])
        }
    }

    /// Records every attempt `reports` yields, all submitted at once so they share transactions.
    /// - Returns: How many were not recorded because the lease had passed to another worker or the database was away.
    private func record(_ reports: AsyncStream<WebhookAttemptReport>) async -> Int {
        await withTaskGroup(of: Bool.self) { group in
            for await report in reports {
                group.addTask {
                    // Back to the worker's set once written (or given up on), not before: see LeaseHeartbeat.Handback.
                    defer { self.working.release([report.deliveryID]) }
                    do {
                        return try await self.recorder.submit(report)
                    } catch {
                        // Unrecorded, the delivery is POSTed again once its lease runs out (receivers handle each
                        // webhook-id once): an outage's are counted with the dropped ones, other errors logged.
                        if error.isDatabaseUnavailable { return false }
                        self.logger.warning(
                            "could not record a webhook attempt", metadata: ["delivery_id": "\(report.deliveryID)", "error": "\(error)"])
                        return true
                    }
                }
            }
            var dropped = 0
            for await recorded in group where !recorded { dropped += 1 }
            return dropped
        }
    }

    /// Signs and POSTs one delivery, and says what the attempt did.
    private func attempt(_ delivery: WebhookDelivery) async -> WebhookAttemptReport {
        let attempt = delivery.attempts + 1
        let started = ContinuousClock.now
        var statusCode: Int?
        var failure: String?
        do {
            let body = try WebhookPayload(delivery).bytes()
            let headers = WebhookHeaders.make(
                eventID: delivery.subject.eventKey, event: delivery.subject.eventName, body: body, secret: delivery.secret,
                previousSecret: delivery.previousSecret, attempt: attempt,
                timestamp: Int64(time.now.timeIntervalSince1970))
            statusCode = try await transport.post(url: delivery.url, headers: headers, body: body, firmID: delivery.firmID)
        } catch {
            failure = "\(error)"
        }
        let elapsed = ContinuousClock.now - started
        let latency = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        let now = time.now
        let outcome = WebhookRules.outcome(statusCode: statusCode, attempt: attempt, now: now, random: Double.random(in: 0...1))
        let name =
            switch outcome {
            case .succeeded: "succeeded"
            case .retry: "retry"
            case .failed: "failed"
            case .disableEndpoint: "disabled"
            }
        metrics.webhookAttempt(outcome: name, lagSeconds: max(0, now.timeIntervalSince(delivery.subject.occurredAt)))
        if let statusCode, !(200..<300).contains(statusCode), failure == nil { failure = "HTTP \(statusCode)" }
        return WebhookAttemptReport(
            deliveryID: delivery.id, statusCode: statusCode, error: failure, latencyMilliseconds: latency, outcome: outcome, finishedAt: now,
            url: delivery.url)
    }
}

/// Whether an endpoint answered 410 Gone during a lane.
private final class GoneMark: Sendable {
    private let gone = Atomic(false)

    var isSet: Bool { gone.load(ordering: .relaxed) }

    func set() { gone.store(true, ordering: .relaxed) }
}
