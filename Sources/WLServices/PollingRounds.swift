import Logging
import ServiceLifecycle

/// The loop every worker runs: after `ready` opens, rounds until graceful shutdown. A round that found work is
/// followed at once by the next; an idle or failed one waits for `signal` or `pollInterval`, whichever comes first.
/// The round in flight always finishes, so shutdown leaves nothing half-done.
/// - Parameter round: One round; returns how many items it handled.
func runRounds(
    ready: ReadinessGate?, signal: WorkSignal, pollInterval: Duration, logger: Logger, failure: Logger.Message,
    round: () async throws -> Int
) async {
    await ready?.wait()
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        var handled = 0
        do {
            handled = try await round()
        } catch {
            logger.error(failure, metadata: ["error": "\(error)"])
        }
        if handled == 0 { await signal.wait(upTo: pollInterval) }
    }
}
