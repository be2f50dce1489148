import NIOCore
import PostgresNIO
import Synchronization

/// One request's way through ``PostgresDatabase``: waiting for a connection, running on one, then answered once —
/// by its work, or by its watchdog giving it up (503).
final class PostgresAttempt<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var started = false
        var connection: PostgresConnection?
        var answered = false
        var cancelled = false
        var work: Task<Void, Never>?
        var watchdog: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// Takes the request's continuation: `false`, and the request answered `CancellationError`, when it was cancelled
    /// before (its cancellation handler then found nothing to answer).
    func begin(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let cancelled = state.withLock { state in
            if state.cancelled {
                state.answered = true
                return true
            }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    /// Starts the watchdog; both tasks are cancelled once the request is answered.
    func watch(work: Task<Void, Never>, _ watchdog: @escaping @Sendable () async -> Void) {
        let task = Task { await watchdog() }
        let answered = state.withLock { state in
            state.work = work
            state.watchdog = task
            return state.answered
        }
        if answered { task.cancel() }
    }

    /// The connection came: whether the work may run on it (not if the request was given up meanwhile).
    func start(on connection: PostgresConnection) -> Bool {
        state.withLock { state in
            guard !state.answered else { return false }
            state.started = true
            state.connection = connection
            return true
        }
    }

    /// The work is done with its connection, which goes back to the pool: it is never closed from here after that.
    func release() {
        state.withLock { $0.connection = nil }
    }

    /// Closes the connection the work runs on: PostgreSQL then rolls back its open transaction, and the work's
    /// pending call fails. `nil` when it has none (not yet, or given back); else succeeds once the channel is closed.
    func closeConnection() -> EventLoopFuture<Void>? {
        // Under the lock, so that the connection cannot be given back to the pool (and lent to another request)
        // between reading it and closing it.
        state.withLock { state in state.connection.map { $0.close() } }
    }

    /// Whether the work is running on a connection and unanswered.
    var isRunning: Bool { state.withLock { $0.started && !$0.answered } }
    var isAnswered: Bool { state.withLock { $0.answered } }

    func finish(_ result: Result<T, any Error>) {
        answer(result)
    }

    /// Answers 503 if the work has not started on a connection (it then never will) and nothing answered yet.
    func giveUpWaiting() -> Bool {
        answer(.failure(DatabaseAvailability.unavailable()), unlessStarted: true)
    }

    /// Answers 503 unless already answered.
    func giveUp() -> Bool {
        answer(.failure(DatabaseAvailability.unavailable()))
    }

    func cancel() {
        state.withLock { $0.cancelled = true }
        answer(.failure(CancellationError()))
    }

    @discardableResult
    private func answer(_ result: Result<T, any Error>, unlessStarted: Bool = false) -> Bool {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>, [Task<Void, Never>])? in
            guard !state.answered, !(unlessStarted && state.started), let continuation = state.continuation else { return nil }
            state.answered = true
            state.continuation = nil
            return (continuation, [state.work, state.watchdog].compactMap { $0 })
        }
        guard let (continuation, tasks) = taken else { return false }
        for task in tasks { task.cancel() }
        continuation.resume(with: result)
        return true
    }
}
