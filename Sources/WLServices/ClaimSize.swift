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

    /// Notes that a claim of `count` items took `elapsed` from claim to the last item recorded.
    public func observe(count: Int, elapsed: Duration) {
        guard count > 0 else { return }
        current.withLock { size in
            size = Self.size(after: count, took: elapsed, current: size, floor: floor, ceiling: ceiling, target: target)
        }
    }

    /// The next size after `count` items took `elapsed`: the count that fits in `target` at that rate, at most twice
    /// `current`, between `floor` and `ceiling`.
    static func size(after count: Int, took elapsed: Duration, current: Int, floor: Int, ceiling: Int, target: Duration) -> Int {
        let seconds = max(elapsed / .seconds(1), 0.001)
        let fitting = Double(count) * (target / .seconds(1)) / seconds
        let grown = min(fitting, Double(current) * 2, Double(ceiling))
        return max(floor, Int(grown.rounded(.down)))
    }
}
