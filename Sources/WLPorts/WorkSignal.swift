import Synchronization

/// Wakes a worker early when new work is written (a new blast), instead of waiting for its next poll.
/// Signals coalesce: many signals while the worker is busy wake it once. A wait also ends when its task is
/// cancelled, so a worker waiting for work never holds up shutdown.
public final class WorkSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Bool, Never>?
        var timer: Task<Void, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// There is new work.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.waiter != nil else {
                state.pending = true
                return nil
            }
            return Self.takeWaiter(&state)
        }
        waiter?.resume(returning: true)
    }

    /// Returns when a signal comes (at once if one came since the last wait), after `timeout`, or when the task is
    /// cancelled, whichever is first. One waiter at a time.
    /// - Returns: Whether a signal ended the wait (not the timeout or cancellation).
    @discardableResult
    public func wait(upTo timeout: Duration) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let registered = state.withLock { state -> (generation: Int?, signalled: Bool) in
                    if state.pending || Task.isCancelled {
                        defer { state.pending = false }
                        return (nil, state.pending)
                    }
                    state.generation += 1
                    state.waiter = continuation
                    return (state.generation, false)
                }
                guard let generation = registered.generation else {
                    continuation.resume(returning: registered.signalled)
                    return
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    let expired = self.state.withLock { state in
                        state.generation == generation ? Self.takeWaiter(&state) : nil
                    }
                    expired?.resume(returning: false)
                }
                let stale = state.withLock { state -> Bool in
                    guard state.generation == generation, state.waiter != nil else { return true }
                    state.timer = timer
                    return false
                }
                if stale { timer.cancel() }
            }
        } onCancel: {
            // Cancelled before the waiter was registered, the registration sees `Task.isCancelled` under the lock.
            state.withLock { Self.takeWaiter(&$0) }?.resume(returning: false)
        }
    }

    /// Whether a signal came that no wait has taken yet.
    public var isPending: Bool { state.withLock { $0.pending } }

    /// Whether a worker is waiting on this signal now.
    public var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Takes the waiter out and stops its timer.
    private static func takeWaiter(_ state: inout State) -> CheckedContinuation<Bool, Never>? {
        let waiter = state.waiter
        state.waiter = nil
        state.timer?.cancel()
        state.timer = nil
        return waiter
    }
}
