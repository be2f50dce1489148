import Synchronization

extension Task where Failure == any Error {
    /// The task's value, or `CancellationError` as soon as the task waiting for it is cancelled; the task itself runs
    /// on (others may be waiting for it too). `task.value` alone waits for the end whatever happens to the waiter.
    func valueUnlessCancelled() async throws -> Success {
        let waiter = OnceContinuation<Success>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.set(continuation)
                Task<Void, Never> { waiter.resume(with: await self.result) }
            }
        } onCancel: {
            waiter.resume(with: .failure(Swift.CancellationError()))
        }
    }
}

/// A continuation resumed once: by whichever comes first of the result and the cancellation, even a cancellation that
/// comes before the continuation is set.
private final class OnceContinuation<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var done = false
    }

    private let state = Mutex(State())

    func set(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLock { state -> Result<Value, any Error>? in
            guard let early = state.early else {
                state.continuation = continuation
                return nil
            }
            return early
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(with result: Result<Value, any Error>) {
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
