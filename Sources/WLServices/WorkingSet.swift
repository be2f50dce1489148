import Synchronization

/// The items one worker (one dispatcher, deliverer or reconciler of this process) is working on now, across its
/// overlapping batches.
///
/// Leases are fenced on the worker's owner name, which its parallel batches share. So when a batch's lease runs out
/// while its calls are still under way (renewals failed while the database was away), a sibling batch may claim the
/// same items under the same owner, and both renewals would then say "held". The set keeps such an item with the
/// batch that had it first: the sibling leaves it alone, and it is sent once.
final class WorkingSet: Sendable {
    private let ids = Mutex(Set<Int64>())

    init() {}

    /// Marks those of `candidates` that no batch of this worker has as this batch's, and returns them.
    func take(_ candidates: some Sequence<Int64>) -> Set<Int64> {
        ids.withLock { ids in
            var taken = Set<Int64>()
            for id in candidates where ids.insert(id).inserted { taken.insert(id) }
            return taken
        }
    }

    /// Gives back what ``take(_:)`` returned, once the batch is done with it.
    func release(_ taken: Set<Int64>) {
        guard !taken.isEmpty else { return }
        ids.withLock { $0.subtract(taken) }
    }

    /// How many items are being worked on now.
    var count: Int { ids.withLock { $0.count } }
}
