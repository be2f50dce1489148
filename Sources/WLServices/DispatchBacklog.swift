import Synchronization
import WLPorts

/// Whether the SMS dispatcher is working through a backlog as fast as it can, so that the webhook deliverer can
/// leave it the machine for a moment ("send first, tell after").
///
/// The dispatcher is at full speed when a round claims as many messages as it asked for and that claim is at its
/// ceiling (`dispatch` batches of ``DispatcherSettings/maxBatchSize``): the provider answers fast (a slow one keeps
/// the claim small, see ``ClaimSize``) and more messages wait. Then the work per message is all CPU and database, the
/// same CPU and database the webhook deliverer's claims, POSTs and records need. While it lasts, the deliverer holds
/// back each new claim for up to `patience` (deliveries already claimed go on). The backlog ends when a round of the
/// dispatcher comes back short and every round that claimed its messages (that short one too) has recorded what the
/// provider answered: released at the short claim, the deliverer's transactions went ahead of the last rounds'
/// records in SQLite's one writer. So a webhook is late by at most the backlog's length, and while a backlog lasts
/// longer than `patience` the deliverer still claims a batch at least that often.
public final class DispatchBacklog: Sendable {
    /// The longest the deliverer holds back one claim.
    public let patience: Duration
    private let state = Mutex(State())
    private let cleared = WorkSignal()

    private struct State {
        /// The last claim came back full at its ceiling.
        var full = false
        /// Rounds of the backlog still sending or recording.
        var rounds = 0

        var busy: Bool { full || rounds > 0 }
    }

    public init(patience: Duration) {
        self.patience = patience
    }

    /// Whether the dispatcher is working through a backlog: its last claim came back full at its ceiling, or a round
    /// of the backlog is still in flight.
    public var isBusy: Bool { state.withLock { $0.busy } }

    /// Whether a claim is being held back now.
    public var isHoldingBack: Bool { cleared.isWaiting }

    /// Notes a dispatcher round that asked for `limit` messages (the claim's ceiling is `ceiling`) and got `claimed`.
    /// - Returns: Whether the round works through the backlog: it claimed messages with its claim full at the
    ///   ceiling, or it is the first round after such a claim. Such a round must call ``roundEnded()`` when it has
    ///   recorded its messages' outcomes (or failed).
    @discardableResult
    public func note(claimed: Int, limit: Int, ceiling: Int) -> Bool {
        let full = claimed >= limit && limit >= ceiling
        let (joined, ended) = state.withLock { state in
            let (wasBusy, wasFull) = (state.busy, state.full)
            state.full = full
            let joined = claimed > 0 && (full || wasFull)
            if joined { state.rounds += 1 }
            return (joined, wasBusy && !state.busy)
        }
        if ended { cleared.signal() }
        return joined
    }

    /// Notes that a round for which ``note(claimed:limit:ceiling:)`` returned `true` is over.
    public func roundEnded() {
        let ended = state.withLock { state in
            state.rounds = max(0, state.rounds - 1)
            return !state.busy
        }
        if ended { cleared.signal() }
    }

    /// Returns when the dispatcher has no backlog, at once if it has none now, or after ``patience``, or when the
    /// task is cancelled. One waiter at a time (the deliverer's claiming loop).
    /// - Returns: Whether it waited.
    @discardableResult
    public func yield() async -> Bool {
        guard isBusy else { return false }
        let deadline = ContinuousClock.now + patience
        while isBusy, !Task.isCancelled {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            await cleared.wait(upTo: left)
        }
        return true
    }
}
