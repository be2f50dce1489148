import Synchronization

/// How many items a worker claims per round: as many as it works through in about `target`, between `floor` and
/// `ceiling`.
///
/// Each claim costs a fixed number of statements, so a fast provider (the sandbox, a local one) is held back by
/// small batches: on SQLite every statement is a hop to its one writer, on PostgreSQL a round trip. A slow provider
/// needs the opposite: a batch claimed by one instance is work no other instance can share until it is done. So the
/// size follows the rate measured on the last batch. At the rate of a live provider that answers in 120 ms, eight
/// calls at a time, a batch of 200 takes about 3 s and the size stays at the floor; with the sandbox, a batch takes
/// a few tens of milliseconds and the size grows to the ceiling, at most doubling per batch.
public final class ClaimSize: Sendable {
    /// The smallest claim, and the first.
    public let floor: Int
    /// The largest claim.
    public let ceiling: Int
    /// How long a batch should take to work through.
    public let target: Duration
    private let current: Mutex<Int>

    public init(floor: Int, ceiling: Int, target: Duration) {
        self.floor = max(1, floor)
        self.ceiling = max(self.floor, ceiling)
        self.target = target
        self.current = Mutex(self.floor)
    }

    /// The size of the next claim.
    public var next: Int { current.withLock { $0 } }

    /// Notes that a claim of `count` items took `elapsed` from claim to the last item recorded: the next claim is the
    /// count that fits in `target` at that rate, at most twice the current size, between `floor` and `ceiling`.
    public func observe(count: Int, elapsed: Duration) {
        guard count > 0 else { return }
        let seconds = max(elapsed / .seconds(1), 0.001)
        let fitting = Double(count) * (target / .seconds(1)) / seconds
        current.withLock { size in
            size = max(floor, Int(min(fitting, Double(size) * 2, Double(ceiling)).rounded(.down)))
        }
    }
}
