import Synchronization

/// Runs `operation` in a task of its own, out of the caller's cancellation: a write whose loss would cost a second
/// send (a provider's answers at the end of a shutdown's grace) gets the chance to finish. A cancelled caller waits
/// for it `patience` more at most, then gets `CancellationError` (the operation runs on), so that a stuck write cannot
/// hold the shutdown past its bound.
func shielded<T: Sendable>(patience: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let answer = OneAnswer<T>()
    Task {
        do {
            answer.give(.success(try await operation()))
        } catch {
            answer.give(.failure(error))
        }
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { answer.wait($0) }
    } onCancel: {
        Task {
            try? await Task.sleep(for: patience)
            answer.give(.failure(CancellationError()))
        }
    }
}

/// A continuation resumed by whichever answer comes first, even one given before the continuation is waiting.
final class OneAnswer<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var given = false
    }

    private let state = Mutex(State())

    func wait(_ waiting: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state in
            if state.early == nil { state.continuation = waiting }
            return state.early
        }
        if let early { waiting.resume(with: early) }
    }

    func give(_ result: Result<T, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.given else { return nil }
            state.given = true
            if state.continuation == nil { state.early = result }
            return state.continuation.take()
        }
        waiting?.resume(with: result)
    }
}
