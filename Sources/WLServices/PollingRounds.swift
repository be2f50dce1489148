import Logging
import ServiceLifecycle
import WLDomain
import WLStore

/// The loop every worker runs: after `ready` opens, rounds until graceful shutdown. A round that found work is
/// followed at once by the next; an idle or failed one waits for `signal` or `pollInterval`, whichever comes first.
/// While the database is unavailable rounds back off to once a second and log nothing (the database logs the
/// outage once, and its end).
/// The round in flight always finishes, so shutdown leaves nothing half-done.
/// - Parameter round: One round; returns how many items it handled.
func runRounds(
    ready: ReadinessGate?, signal: WorkSignal, pollInterval: Duration, logger: Logger, failure: Logger.Message,
    round: () async throws -> Int
) async {
    await ready?.wait()
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        var handled = 0
        var wait = pollInterval
        do {
            handled = try await round()
        } catch  where error.isDatabaseUnavailable {
            wait = max(pollInterval, .seconds(1))
        } catch {
            logger.error(failure, metadata: ["error": "\(error)"])
        }
        if handled == 0 { await signal.wait(upTo: wait) }
    }
}

extension Error {
    /// Whether this is the database being away: the database logs that once per outage, so workers do not log it
    /// every round, and back off.
    var isDatabaseUnavailable: Bool { (self as? DomainError)?.code == .serviceUnavailable }
}
