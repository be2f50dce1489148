import Foundation
public import Logging
import Synchronization
public import WLDomain

/// Whether the database answers, as this process last saw it. It logs each change once — a warning when the
/// database goes away, an info line with the outage's length when it is back — instead of one error per failed
/// request or worker round, and tells observers (the metrics) about each change.
public final class DatabaseAvailability: Sendable {
    private struct State {
        var downSince: Date?
        var outages = 0
        var observers: [@Sendable (_ isUp: Bool, _ outages: Int) -> Void] = []
    }

    /// The error every request that needs the database gets while it is away: 503 with `Retry-After`.
    public static func unavailable(retryAfter: Int = 2) -> DomainError {
        DomainError(.serviceUnavailable, "The database is unavailable right now; nothing was done. Retry shortly.", retryAfter: retryAfter)
    }

    private let state = Mutex(State())
    private let logger: Logger
    /// What fails while the database is away, for the log ("requests that need it", "writes").
    private let affected: String

    public init(logger: Logger, affected: String = "requests that need it") {
        self.logger = logger
        self.affected = affected
    }

    /// Whether the database answered last time it was asked.
    public var isUp: Bool { state.withLock { $0.downSince == nil } }
    /// How many times the database went away since the process started.
    public var outages: Int { state.withLock { $0.outages } }

    /// Calls `observer` now and after every change, with whether the database is up and the outages so far.
    public func observe(_ observer: @escaping @Sendable (_ isUp: Bool, _ outages: Int) -> Void) {
        let (isUp, outages) = state.withLock { state in
            state.observers.append(observer)
            return (state.downSince == nil, state.outages)
        }
        observer(isUp, outages)
    }

    /// The database could not be reached: `reason` says how (no query text, no credentials).
    public func markDown(_ reason: String) {
        let changed = state.withLock { state -> (observers: [@Sendable (Bool, Int) -> Void], outages: Int)? in
            guard state.downSince == nil else { return nil }
            state.downSince = Date()
            state.outages += 1
            return (state.observers, state.outages)
        }
        guard let changed else { return }
        logger.warning("database unavailable; \(affected) answer 503 until it is back", metadata: ["reason": "\(reason)"])
        for observer in changed.observers { observer(false, changed.outages) }
    }

    /// The database answered.
    public func markUp() {
        let changed = state.withLock { state -> (since: Date, observers: [@Sendable (Bool, Int) -> Void], outages: Int)? in
            guard let since = state.downSince else { return nil }
            state.downSince = nil
            return (since, state.observers, state.outages)
        }
        guard let changed else { return }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(changed.since))
        logger.info("database available again", metadata: ["outage_seconds": "\(seconds)"])
        for observer in changed.observers { observer(true, changed.outages) }
    }
}
