public import Foundation
public import Logging
public import ServiceLifecycle
public import WLDomain
public import WLPorts

/// How long things are kept, and how often and how hard housekeeping works. A `nil` period keeps those rows (or
/// leaves those messages processing) for good.
public struct HousekeepingSettings: Sendable {
    /// The time between passes.
    public var interval: Duration = .seconds(60)
    /// Final messages, with their events and webhook deliveries: a year.
    public var messageRetention: TimeInterval? = 365 * 86_400
    /// Finished webhook deliveries and their attempt logs: 30 days.
    public var webhookDeliveryRetention: TimeInterval? = 30 * 86_400
    /// The bodies and subjects of final messages: 90 days, then emptied (the message itself stays).
    public var messageBodyRetention: TimeInterval? = 90 * 86_400
    /// Events of final messages: as long as their messages.
    public var eventRetention: TimeInterval? = 365 * 86_400
    /// A message the provider accepted whose delivery report has not come after this is failed as `Expired`: 72 hours.
    public var expireProcessingAfter: TimeInterval? = 72 * 3_600
    /// Delivery reports for provider ids no recorded send carries: 7 days (a send recorded later still gets them).
    public var earlyReportRetention: TimeInterval = 7 * 86_400
    /// Stored `Idempotency-Key` responses: 24 hours, after which the API would not replay them anyway.
    public var idempotencyKeyLifetime: TimeInterval = 86_400
    /// The audit log of the console: two years.
    public var auditRetention: TimeInterval? = 730 * 86_400
    /// How long an unused console session lives (ended ones are deleted); ``ConsoleSettings/idleTimeout``.
    public var sessionIdleTimeout: TimeInterval = 1_800
    /// Rows per statement for single-table deletions; a fifth of it for messages, deliveries, events and expiries,
    /// whose dependent rows go in the same transaction.
    public var batchSize = 5_000

    public init() {}

    /// How long the leader's lease lasts: three passes, so one late pass does not hand leadership over.
    var lease: TimeInterval { max(30, 3 * Double(interval.components.seconds)) }
}

/// What one pass did.
public struct HousekeepingReport: Sendable, Hashable {
    public var idempotencyKeys = 0
    public var rateLimits = 0
    public var messages = 0
    public var webhookDeliveries = 0
    public var events = 0
    public var expired = 0
    /// Early delivery reports applied once their send was recorded, and old unclaimed ones deleted.
    public var earlyReportsApplied = 0
    public var earlyReportsDeleted = 0
    /// Message bodies emptied after their retention period.
    public var bodiesRedacted = 0
    /// Blast texts (templates and subjects) emptied after the same period, once all their messages are final.
    public var blastTextsRedacted = 0
    /// Ended console sessions, invitations never taken up, and old audit lines deleted.
    public var sessions = 0
    public var invitations = 0
    public var auditEntries = 0

    public init() {}

    /// Whether the pass changed anything.
    public var isEmpty: Bool { self == HousekeepingReport() }
}

/// Retention and expiry: every ``HousekeepingSettings/interval`` the instance that holds the `housekeeping` leader
/// lease deletes what has been kept long enough (idempotency keys, idle rate-limit rows, old message bodies, old
/// messages with their events and deliveries, old delivery logs) and fails messages whose delivery report never came. Every other
/// instance only renews its bid. Each step is short transactions of bounded size, repeated while a batch comes back
/// full, so no table is locked for long; a pass stops between batches on shutdown or when the lease is lost.
/// The ledger, payments and their events are never touched.
public final class Housekeeper: Service {
    /// The name of the leader lease.
    public static let leaseName = "housekeeping"

    let store: any HousekeepingStore
    let time: any TimeSource
    let ready: ReadinessGate?
    let settings: HousekeepingSettings
    /// This instance's name in the lease.
    public let owner: String
    let logger: Logger

    public init(
        store: any HousekeepingStore, time: any TimeSource, ready: ReadinessGate? = nil, settings: HousekeepingSettings = HousekeepingSettings(),
        logger: Logger
    ) {
        self.store = store
        self.time = time
        self.ready = ready
        self.settings = settings
        self.owner = "housekeeper-" + UUID().uuidString.prefix(8).lowercased()
        self.logger = logger
    }

    /// Waits for `ready`, then runs a pass every interval until graceful shutdown or cancellation (which also end the
    /// wait between passes at once), and gives the lease up on the way out. While the database is unavailable it
    /// retries every second and logs nothing (the database logs the outage).
    public func run() async throws {
        let ready = self.ready
        await cancelWhenGracefulShutdown { await ready?.wait() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var wait = settings.interval
            // A diagnostic: its failure must not cost the pass (an outage is logged by the database).
            do {
                try await checkClock()
            } catch  where error.isDatabaseUnavailable {
            } catch {
                logger.warning("clock check failed", metadata: ["error": "\(error)"])
            }
            do {
                try await runOnce()
            } catch  where error.isDatabaseUnavailable {
                wait = min(wait, .seconds(1))
            } catch {
                logger.error("housekeeping pass failed", metadata: ["error": "\(error)"])
            }
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
        try? await store.releaseLease(Self.leaseName, owner: owner)
    }

    /// The most this process's clock may differ from the database's before an error is logged each pass. Leases are
    /// compared on each instance's own clock: a skew eats into the third of a lease that is kept free for a send
    /// under way, and one as long as a provider's timeout lets two instances send the same message.
    public static let maximumClockSkew: TimeInterval = 2

    /// Compares this process's clock with the database's (PostgreSQL) and logs an error when they differ by more
    /// than ``maximumClockSkew``.
    /// - Returns: The skew (the database's clock minus this process's), or `nil` when the database has no clock of
    ///   its own.
    @discardableResult
    public func checkClock() async throws -> TimeInterval? {
        let time = self.time
        guard let clocks = try await store.databaseClock(local: { time.now }) else { return nil }
        let skew = clocks.database.timeIntervalSince(clocks.local)
        if abs(skew) > Self.maximumClockSkew {
            logger.error(
                "this machine's clock differs from the database's; keep every instance's clock synchronised (NTP): leases are compared on each instance's own clock, and a skew of seconds can send a message twice",
                metadata: ["skew_seconds": "\((skew * 1000).rounded() / 1000)"])
        }
        return skew
    }

    /// One pass, if this instance holds (or can take) the lease.
    /// - Returns: What the pass did; `nil` when another instance leads.
    @discardableResult
    public func runOnce() async throws -> HousekeepingReport? {
        var pass = Pass(housekeeper: self, renewedAt: time.now)
        guard try await store.holdLease(Self.leaseName, owner: owner, until: pass.renewedAt.addingTimeInterval(settings.lease), now: pass.renewedAt)
        else { return nil }
        let now = pass.renewedAt
        let flat = max(1, settings.batchSize)
        let nested = max(1, flat / 5)
        var report = HousekeepingReport()
        report.idempotencyKeys = try await pass.repeating(limit: flat) {
            try await self.store.deleteIdempotencyKeys(createdBefore: now.addingTimeInterval(-self.settings.idempotencyKeyLifetime), limit: flat)
        }
        report.sessions = try await pass.repeating(limit: flat) {
            try await self.store.deleteEndedSessions(now: now, idleCutoff: now.addingTimeInterval(-self.settings.sessionIdleTimeout), limit: flat)
        }
        report.invitations = try await pass.repeating(limit: flat) { try await self.store.deleteExpiredInvitations(now: now, limit: flat) }
        if let period = settings.auditRetention {
            report.auditEntries = try await pass.repeating(limit: flat) {
                try await self.store.deleteAuditEntries(before: now.addingTimeInterval(-period), limit: flat)
            }
        }
        let microseconds = Int64((now.timeIntervalSince1970 * 1_000_000).rounded())
        report.rateLimits = try await pass.repeating(limit: flat) { try await self.store.deleteIdleRateLimits(now: microseconds, limit: flat) }
        // Before expiry: a report that came early must win over "Expired".
        report.earlyReportsApplied = try await pass.repeating(limit: nested) {
            try await self.store.applyEarlyReports(limit: nested, now: self.time.now)
        }
        report.earlyReportsDeleted = try await pass.repeating(limit: flat) {
            try await self.store.deleteEarlyReports(receivedBefore: now.addingTimeInterval(-self.settings.earlyReportRetention), limit: flat)
        }
        if let period = settings.expireProcessingAfter {
            report.expired = try await pass.repeating(limit: nested) {
                try await self.store.expireMessages(acceptedBefore: now.addingTimeInterval(-period), limit: nested, now: self.time.now).count
            }
        }
        if let period = settings.messageRetention {
            report.messages = try await pass.repeating(limit: nested) {
                try await self.store.deleteMessages(createdBefore: now.addingTimeInterval(-period), limit: nested)
            }
        }
        if let period = settings.messageBodyRetention {
            report.bodiesRedacted = try await pass.repeating(limit: nested) {
                try await self.store.redactMessageBodies(createdBefore: now.addingTimeInterval(-period), limit: nested)
            }
            report.blastTextsRedacted = try await pass.repeating(limit: nested) {
                try await self.store.redactBlastTexts(createdBefore: now.addingTimeInterval(-period), limit: nested)
            }
        }
        if let period = settings.eventRetention {
            report.events = try await pass.repeating(limit: nested) {
                try await self.store.deleteMessageEvents(occurredBefore: now.addingTimeInterval(-period), limit: nested)
            }
        }
        if let period = settings.webhookDeliveryRetention {
            report.webhookDeliveries = try await pass.repeating(limit: nested) {
                try await self.store.deleteWebhookDeliveries(createdBefore: now.addingTimeInterval(-period), limit: nested)
            }
        }
        if report.expired > 0 {
            logger.info("messages expired waiting for their delivery report", metadata: ["count": "\(report.expired)"])
        }
        if !report.isEmpty { logger.debug("housekeeping pass", metadata: ["report": "\(report)"]) }
        return report
    }

    /// The state of one pass: when the lease was last renewed, and whether it may go on.
    struct Pass {
        let housekeeper: Housekeeper
        var renewedAt: Date
        var stopped = false

        /// Runs `batch` until it returns less than `limit`, the process is stopping, or the lease is lost. The lease is
        /// renewed before any batch, the first of each step included, once a third of it has passed since the last
        /// renewal: a pass of many steps with short batches each used to run past its lease, beside the next leader.
        /// - Returns: The total of what the batches returned.
        mutating func repeating(limit: Int, _ batch: () async throws -> Int) async throws -> Int {
            var total = 0
            while !stopped {
                guard !Task.isShuttingDownGracefully && !Task.isCancelled else {
                    stopped = true
                    break
                }
                let now = housekeeper.time.now
                if now.timeIntervalSince(renewedAt) >= housekeeper.settings.lease / 3 {
                    stopped = try await !housekeeper.store.holdLease(
                        Housekeeper.leaseName, owner: housekeeper.owner, until: now.addingTimeInterval(housekeeper.settings.lease), now: now)
                    renewedAt = now
                    if stopped { break }
                }
                let count = try await batch()
                total += count
                guard count >= limit else { break }
            }
            return total
        }
    }
}
