import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
public import WLDomain
public import WLStore

/// Delivers the webhook outbox: claims due deliveries under a lease, signs and POSTs each, and records every
/// attempt. 2xx succeeds; anything else (timeouts, redirects, 4xx, 5xx) is retried on ``WebhookSchedule``, then
/// failed; 410 Gone fails the delivery and disables the endpoint at once.
public final class WebhookDeliverer: Service {
    let store: any Store
    let time: any TimeSource
    let transport: any WebhookTransport
    let ready: ReadinessGate?
    let logger: Logger
    let owner = "webhooks-" + UUID().uuidString.prefix(8).lowercased()
    /// Deliveries claimed per round.
    let batchSize: Int
    /// Deliveries in flight at once for one firm.
    let perEndpoint: Int
    let pollInterval: Duration
    /// Firms whose lane is running; they are not claimed for until it ends.
    let busy = Mutex<Set<Int64>>([])
    /// Wakes the claiming loop when a lane ends.
    let laneEnded = WorkSignal()

    public init(
        store: any Store, time: any TimeSource, transport: any WebhookTransport, ready: ReadinessGate? = nil, batchSize: Int = 100,
        perEndpoint: Int = 8, pollInterval: Duration = .milliseconds(500), logger: Logger
    ) {
        self.store = store
        self.time = time
        self.transport = transport
        self.ready = ready
        self.batchSize = batchSize
        self.perEndpoint = perEndpoint
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Delivers continuously until graceful shutdown: each firm gets a lane of its own (at most `perEndpoint`
    /// deliveries in flight), and a new claim never waits for a busy lane, so a slow or dead endpoint delays only its
    /// own firm. On shutdown nothing new is claimed and the lanes finish what they hold.
    public func run() async throws {
        await ready?.wait()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let claimed: [WebhookDelivery]
                var wait = pollInterval
                do {
                    claimed = try await store.claimWebhookDeliveries(
                        limit: batchSize, owner: owner, lease: 600, now: time.now, excludingFirms: self.busy.withLock { $0 })
                } catch {
                    if error.isDatabaseUnavailable {
                        wait = max(pollInterval, .seconds(1))
                    } else {
                        logger.error("webhook claim failed", metadata: ["error": "\(error)"])
                    }
                    claimed = []
                }
                for (firm, deliveries) in Dictionary(grouping: claimed, by: \.firmID) {
                    self.busy.withLock { _ = $0.insert(firm) }
                    group.addTask {
                        await self.lane(deliveries)
                        self.busy.withLock { _ = $0.remove(firm) }
                        self.laneEnded.signal()
                    }
                }
                if claimed.isEmpty { await laneEnded.wait(upTo: wait) }
            }
        }
    }

    /// One round for tests and tools: claim, deliver everything claimed (firms in parallel), record.
    /// - Returns: How many deliveries were claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let claimed = try await store.claimWebhookDeliveries(limit: batchSize, owner: owner, lease: 600, now: time.now)
        await withTaskGroup(of: Void.self) { group in
            for deliveries in Dictionary(grouping: claimed, by: \.firmID).values {
                group.addTask { await self.lane(deliveries) }
            }
        }
        return claimed.count
    }

    /// One firm's deliveries, `perEndpoint` at a time.
    private func lane(_ deliveries: [WebhookDelivery]) async {
        var index = 0
        while index < deliveries.count {
            let slice = deliveries[index..<min(index + perEndpoint, deliveries.count)]
            await withTaskGroup(of: Void.self) { group in
                for delivery in slice { group.addTask { await self.deliver(delivery) } }
            }
            index += slice.count
        }
    }

    /// Signs, POSTs and records one delivery.
    private func deliver(_ delivery: WebhookDelivery) async {
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
            statusCode = try await transport.post(url: delivery.url, headers: headers, body: body)
        } catch {
            failure = "\(error)"
        }
        let elapsed = ContinuousClock.now - started
        let latency = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        let outcome: WebhookAttemptOutcome
        if let statusCode, (200..<300).contains(statusCode) {
            outcome = .succeeded
        } else if statusCode == 410 {
            outcome = .disableEndpoint(reason: "The endpoint answered 410 Gone")
        } else if let delay = WebhookSchedule.delay(after: attempt, random: Double.random(in: 0...1)) {
            outcome = .retry(at: time.now.addingTimeInterval(delay))
        } else {
            outcome = .failed
        }
        if let statusCode, !(200..<300).contains(statusCode), failure == nil { failure = "HTTP \(statusCode)" }
        do {
            try await store.recordWebhookAttempt(
                deliveryID: delivery.id, leaseOwner: owner, statusCode: statusCode, error: failure, latencyMilliseconds: latency, outcome: outcome,
                now: time.now)
        } catch {
            if !error.isDatabaseUnavailable {
                logger.warning("could not record a webhook attempt", metadata: ["delivery_id": "\(delivery.id)", "error": "\(error)"])
            }
        }
    }
}
