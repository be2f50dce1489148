import Synchronization
import WLPorts

/// Whether the SMS dispatcher is working through a backlog as fast as it can, so that the webhook deliverer can
/// leave it the machine for a moment ("send first, tell after").
///
/// The dispatcher is at full speed when a round claims as many messages as it asked for and that claim is at its
/// ceiling (`dispatch` batches of ``DispatcherSettings/maxBatchSize``): the provider answers fast (a slow one keeps
/// the claim small, see ``ClaimSize``) and more messages wait. Then the work per message is all CPU and database, the
/// same CPU and database the webhook deliverer's claims, POSTs and records need. While it lasts, the deliverer holds
/// back each new claim for up to `patience` (deliveries already claimed go on), and claims as soon as a round of
/// the dispatcher comes back short. So a webhook is late by at most the backlog's length, and while a backlog lasts
/// longer than `patience` the deliverer still claims a batch at least that often.
public final class DispatchBacklog: Sendable {
    /// The longest the deliverer holds back one claim.
    public let patience: Duration
    private let busy = Mutex(false)
    private let cleared = WorkSignal()

    public init(patience: Duration) {
        self.patience = patience
    }

    /// Whether the dispatcher's last round found a backlog.
    public var isBusy: Bool { busy.withLock { $0 } }

    /// Whether a claim is being held back now.
    public var isHoldingBack: Bool { cleared.isWaiting }

    /// Notes a dispatcher round that asked for `limit` messages (the claim's ceiling is `ceiling`) and got `claimed`.
    public func note(claimed: Int, limit: Int, ceiling: Int) {
        let now = claimed >= limit && limit >= ceiling
        let ended = busy.withLock { busy in
            defer { busy = now }
            return busy && !now
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
