import Synchronization

/// Wakes a worker early when new work is written (a new blast), instead of waiting for its next poll.
/// Signals coalesce: many signals while the worker is busy wake it once.
public final class WorkSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// There is new work.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when a signal comes (at once if one came since the last wait) or after `timeout`, whichever is first.
    /// One waiter at a time.
    public func wait(upTo timeout: Duration) async {
        await withCheckedContinuation { continuation in
            let generation = state.withLock { state -> Int? in
                if state.pending {
                    state.pending = false
                    return nil
                }
                state.generation += 1
                state.waiter = continuation
                return state.generation
            }
            guard let generation else {
                continuation.resume()
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard state.generation == generation, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.resume()
            }
        }
    }
}
