import Foundation
import Logging
import WLDomain
import WLPorts

/// Sends a claimed batch while keeping its lease, and never starts a send whose lease is not held.
///
/// A slow provider can take longer than the lease to work through a batch, and once the lease runs out another
/// instance may claim the same messages and send them again. So, every third of the lease (checked as each send
/// finishes and on a timer), the leases of the batch are renewed, and the store says which ones are still this
/// owner's. A send starts only for messages renewed (or claimed) last time, and only while at least a third of that
/// lease is left, so a renewal that fails (the database is away) stops new sends before anyone else can claim them.
/// Results recorded after a lease was lost are dropped by the store (its writes are conditional on the owner).
///
/// The same heartbeat serves every leased queue (messages, webhook deliveries, payments): `renew` is the queue's
/// renewal. The worker's ``WorkingSet`` keeps an item with one batch at a time: a batch leaves alone anything a sibling
/// batch of the same worker (the same owner) is still working on.
struct LeaseHeartbeat: Sendable {
    /// Renews `owner`'s leases on these items until `now + lease` and returns the ids still held.
    typealias Renew = @Sendable (_ ids: [Int64], _ owner: String, _ lease: TimeInterval, _ now: Date) async throws -> Set<Int64>

    let renew: Renew
    let owner: String
    let lease: TimeInterval
    let time: any TimeSource
    let logger: Logger
    /// What the items are, for the log.
    let items: String
    /// What the worker's other batches are working on.
    let working: WorkingSet

    init(
        owner: String, working: WorkingSet, lease: TimeInterval, time: any TimeSource, logger: Logger, items: String,
        renew: @escaping Renew
    ) {
        self.renew = renew
        self.owner = owner
        self.working = working
        self.lease = lease
        self.time = time
        self.logger = logger
        self.items = items
    }

    /// Who gives a started item back to the worker's ``WorkingSet``.
    enum Handback {
        /// The heartbeat, as soon as the job that had it ends: the job recorded its answer.
        case whenJobEnds
        /// The caller, once the job's answer is written (the email dispatcher's chunks, the webhook lanes' records):
        /// given back before, a sibling batch could claim and send it again while its answer waits to be written.
        case afterItsAnswerIsWritten
    }

    /// The heartbeat of messages (``MessageStore/renewLeases(messageIDs:owner:lease:now:)``).
    init(store: any MessageStore, owner: String, working: WorkingSet, lease: TimeInterval, time: any TimeSource, logger: Logger) {
        self.init(owner: owner, working: working, lease: lease, time: time, logger: logger, items: "messages") { ids, owner, lease, now in
            try await store.renewLeases(messageIDs: ids, owner: owner, lease: lease, now: now)
        }
    }

    /// Runs `work` on each job, at most `concurrency` at once, in order, while the batch's leases are renewed.
    func run<Job: Sendable, Outcome: Sendable>(
        _ jobs: [(messageIDs: [Int64], job: Job)], claimedAt: Date, concurrency: Int, handback: Handback = .whenJobEnds,
        work: @escaping @Sendable (Job, _ held: Set<Int64>) async -> Outcome
    ) async -> [Outcome] {
        await run(jobs, claimedAt: claimedAt, concurrency: concurrency, handback: handback) { job, held, _ in await work(job, held) }
    }

    /// Runs `work` on each job, at most `concurrency` at once, in order, while the batch's leases are renewed; `work`
    /// also gets the batch's ``LeaseCheck``, to check the lease again before a send that had to wait.
    ///
    /// - Parameters:
    ///   - jobs: Each job with the messages it sends.
    ///   - claimedAt: When the batch was claimed: its lease runs from then.
    ///   - handback: Who gives the items of a job that ran back to the ``WorkingSet`` (those that never ran, the
    ///     heartbeat gives back when the batch ends).
    ///   - work: Sends those of a job's messages whose lease is held (never none) and says what happened.
    /// - Returns: What the jobs that ran returned, in the order they finished; a job none of whose messages is still
    ///   held does not run (they are counted in a log line and left to whoever holds them now), nor does any job
    ///   once the task is cancelled (left to their lease: the jobs running then finish or fail on their own), nor
    ///   the part of a job that another batch of this worker is still working on.
    func run<Job: Sendable, Outcome: Sendable>(
        _ jobs: [(messageIDs: [Int64], job: Job)], claimedAt: Date, concurrency: Int, handback: Handback = .whenJobEnds,
        work: @escaping @Sendable (Job, _ held: Set<Int64>, _ lease: LeaseCheck) async -> Outcome
    ) async -> [Outcome] {
        let all = jobs.flatMap(\.messageIDs)
        let taken = working.take(all)
        // Given back job by job, each as soon as it is done with (a webhook retried 5 s later must not wait for its
        // whole batch); those that never ran when the batch ends.
        var inHand = taken
        if taken.count < all.count {
            logger.info(
                "\(items) already in hand in another batch of this worker, left to it",
                metadata: ["owner": "\(owner)", "count": "\(all.count - taken.count)"])
        }
        var held = taken
        var heldUntil = claimedAt.addingTimeInterval(lease)
        let check = LeaseCheck(time: time, margin: lease / 3, held: held, until: heldUntil)
        var renewedAt = claimedAt
        // Every item of the batch until it is given up: a job's answer may still be on its way to the store after the
        // job ended (the webhook lanes record behind their POSTs).
        var renewing = taken
        var notStarted = 0
        var abandoned = 0
        let interval = lease / 3
        let outcomes = await withTaskGroup(of: HeartbeatStep<Outcome>.self) { group in
            var outcomes: [Outcome] = []
            var queue = jobs[...]
            var running = 0
            var ticking = false
            while true {
                renewing.subtract(check.takeGivenUp())
                if !queue.isEmpty || running > 0, time.now.timeIntervalSince(renewedAt) >= interval {
                    renewedAt = time.now
                    do {
                        held = try await renew(Array(renewing), owner, lease, renewedAt)
                        heldUntil = renewedAt.addingTimeInterval(lease)
                        check.update(held: held, until: heldUntil)
                    } catch {
                        logger.warning("lease renewal failed", metadata: ["owner": "\(owner)", "error": "\(error)"])
                    }
                }
                while running < max(1, concurrency), !Task.isCancelled, let (ids, job) = queue.popFirst() {
                    let mine = Set(ids).intersection(taken)
                    let fenced = time.now < heldUntil.addingTimeInterval(-interval) ? mine.intersection(held) : []
                    if fenced.count < mine.count {
                        notStarted += mine.count - fenced.count
                        renewing.subtract(mine.subtracting(fenced))
                    }
                    guard !fenced.isEmpty else { continue }
                    running += 1
                    group.addTask { .done(await work(job, fenced, check), fenced) }
                }
                if Task.isCancelled, !queue.isEmpty {
                    // Cancelled (the shutdown's grace is over): a job started now would fail at once and be recorded
                    // as a failed attempt without having been tried. What has not started is left to its lease.
                    let left = queue.flatMap(\.messageIDs).filter(taken.contains)
                    abandoned += left.count
                    renewing.subtract(left)
                    queue.removeAll()
                }
                if running == 0 { break }
                // A cancelled group's timer would fire at once, again and again, while the last jobs finish.
                if !ticking, !Task.isCancelled {
                    ticking = true
                    group.addTask {
                        try? await Task.sleep(for: .seconds(interval))
                        return .tick
                    }
                }
                switch await group.next() {
                case .done(let outcome, let ids):
                    outcomes.append(outcome)
                    if handback == .whenJobEnds { working.release(ids) }
                    inHand.subtract(ids)
                    running -= 1
                case .tick:
                    ticking = false
                case nil:
                    running = 0
                }
            }
            // Only the timer may be left: stop it.
            group.cancelAll()
            if notStarted > 0 {
                logger.info(
                    "lease lost: \(items) not sent, left to the worker that holds them",
                    metadata: ["owner": "\(owner)", "count": "\(notStarted)"])
            }
            if abandoned > 0 {
                logger.info("cancelled: \(items) not sent, left to their lease", metadata: ["owner": "\(owner)", "count": "\(abandoned)"])
            }
            return outcomes
        }
        working.release(inHand)
        return outcomes
    }
}

/// One step of a heartbeat's batch: a job finished, or a tick of the lease clock.
private enum HeartbeatStep<Outcome: Sendable>: Sendable {
    /// A job finished, with the items it worked on.
    case done(Outcome, Set<Int64>)
    case tick
}
