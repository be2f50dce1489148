import Synchronization

/// Holds workers back until start-up work (migrations, the sandbox seed) is done. Opens once, for good. A waiter
/// whose task is cancelled (start-up failed, or the process is stopping) stops waiting at once.
public final class ReadinessGate: Sendable {
    private struct State {
        var open = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Lets every waiter, present and future, through.
    public func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether the gate has opened.
    public var isOpen: Bool { state.withLock { $0.open } }

    /// Returns once the gate is open, or when the task is cancelled (check ``isOpen`` or `Task.isCancelled` after).
    public func wait() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let passes = state.withLock { state in
                    if state.open || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if passes { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
