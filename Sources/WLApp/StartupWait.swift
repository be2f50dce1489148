import Logging
import ServiceLifecycle
import WLDomain

/// Runs the first database step of start-up (the migrations), retrying while the database is unavailable, for at most
/// `limit`. One error-level line says the database cannot be reached and how long start-up waits.
/// - Throws: ``StartupError`` naming the setting when the database stayed away, or when the process is told to stop
///   meanwhile; any other error at once.
func waitForDatabase<T>(upTo limit: Duration, logger: Logger, _ step: () async throws -> T) async throws -> T {
    let start = ContinuousClock.now
    var told = false
    while true {
        do {
            return try await step()
        } catch let error as DomainError where error.code == .serviceUnavailable {
            guard !Task.isShuttingDownGracefully else { throw StartupError("Stopped while waiting for the database.") }
            guard ContinuousClock.now - start < limit else {
                throw StartupError(
                    "The database could not be reached within \(limit.components.seconds) s (database.startupWaitSeconds); stopping.")
            }
            if !told {
                logger.error(
                    "the database cannot be reached; start-up waits for it",
                    metadata: ["up_to_seconds": "\(limit.components.seconds)"])
                told = true
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
