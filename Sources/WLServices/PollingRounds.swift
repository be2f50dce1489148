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
        } catch let error as DomainError where error.code == .serviceUnavailable {
            wait = max(pollInterval, .seconds(1))
        } catch {
            logger.error(failure, metadata: ["error": "\(error)"])
        }
        if handled == 0 { await signal.wait(upTo: wait) }
    }
}
