import Synchronization

/// Runs `operation` in a task of its own, out of the caller's cancellation: a write whose loss would cost a second
/// send (a provider's answers at the end of a shutdown's grace) gets the chance to finish. A cancelled caller waits
/// for it `patience` more at most, then gets `CancellationError` (the operation runs on), so that a stuck write cannot
/// hold the shutdown past its bound.
package func shielded<T: Sendable>(patience: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let answer = OnceContinuation<T>()
    Task {
        do {
            answer.resume(with: .success(try await operation()))
        } catch {
            answer.resume(with: .failure(error))
        }
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { answer.set($0) }
    } onCancel: {
        Task {
            try? await Task.sleep(for: patience)
            answer.resume(with: .failure(CancellationError()))
        }
    }
}

/// A continuation resumed once: by whichever comes first of the result and the cancellation, even a cancellation that
/// comes before the continuation is set.
package final class OnceContinuation<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var done = false
    }

    private let state = Mutex(State())

    package init() {}

    package func set(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLock { state -> Result<Value, any Error>? in
            guard let early = state.early else {
                state.continuation = continuation
                return nil
            }
            return early
        }
        if let early { continuation.resume(with: early) }
    }

    package func resume(with result: Result<Value, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = result
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}
