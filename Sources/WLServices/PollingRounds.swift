import Logging
import ServiceLifecycle
import Synchronization
import WLDomain
import WLPorts

/// The loop every worker runs: after `ready` opens, rounds until graceful shutdown. A round that found work is
/// followed at once by the next; an idle or failed one waits for `signal` or `pollInterval`, whichever comes first.
/// While the database is unavailable rounds back off to once a second and log nothing (the database logs the
/// outage once, and its end).
/// The round in flight always finishes, so shutdown leaves nothing half-done. Once `draining` has begun (the process
/// is stopping) no round starts, and the loop waits for its own graceful shutdown.
///
/// With `parallel` above 1, more loops of rounds run beside the first (up to `parallel` in all) whenever there may
/// be a backlog (at start, after a signal, after a round that found work), so the next claim overlaps the sending of
/// this one. Those extra loops end at their first round that finds nothing; only the first loop waits for the signal.
/// - Parameter round: One round; returns how many items it handled.
func runRounds(
    ready: ReadinessGate?, signal: WorkSignal, pollInterval: Duration, parallel: Int = 1, draining: Draining? = nil, logger: Logger,
    failure: Logger.Message, round: @escaping @Sendable () async throws -> Int
) async {
    await ready?.wait()
    // One round: how many items it handled (0 after a failure), and how long to wait when that is none.
    let attempt: @Sendable () async -> (handled: Int, wait: Duration) = {
        do {
            return (try await round(), pollInterval)
        } catch  where error.isDatabaseUnavailable {
            return (0, max(pollInterval, .seconds(1)))
        } catch {
            logger.error(failure, metadata: ["error": "\(error)"])
            return (0, pollInterval)
        }
    }
    let extraLoops = LoopCount()
    let going: @Sendable () -> Bool = { !Task.isShuttingDownGracefully && !Task.isCancelled && draining?.hasBegun != true }
    await withDiscardingTaskGroup { group in
        var backlog = true
        while going() {
            while backlog, extraLoops.start(below: parallel - 1) {
                group.addTask {
                    defer { extraLoops.end() }
                    while going(), await attempt().handled > 0 {}
                }
            }
            let (handled, wait) = await attempt()
            backlog = handled > 0
            if !backlog { backlog = await signal.wait(upTo: wait) }
        }
    }
    await draining?.waitForOwnShutdown()
}

/// How many extra loops of rounds run beside the first.
private final class LoopCount: Sendable {
    private let count = Mutex(0)

    /// Counts one more loop, unless `limit` run already.
    func start(below limit: Int) -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func end() {
        count.withLock { $0 -= 1 }
    }
}

extension Error {
    /// Whether this is the database being away: the database logs that once per outage, so workers do not log it
    /// every round, and back off.
    var isDatabaseUnavailable: Bool { (self as? DomainError)?.code == .serviceUnavailable }
}
