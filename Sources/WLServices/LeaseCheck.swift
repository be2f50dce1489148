import Foundation
import Synchronization
import WLDomain

/// What a ``LeaseHeartbeat`` last learnt of its batch's leases, for a job to check again just before a send that had
/// to wait (a webhook POST waiting for one of its firm's slots behind slow POSTs): the heartbeat's own check happens
/// when the job starts, and renewals fail while the database is away, so after a long wait the lease may be running
/// out, or gone to another instance.
final class LeaseCheck: Sendable {
    private let time: any TimeSource
    /// How much of the lease must be left for a send to start: a third, as the heartbeat's own check.
    private let margin: TimeInterval
    private let state: Mutex<(held: Set<Int64>, until: Date)>
    /// Items a job gave up without sending, not to be renewed any more.
    private let givenUp = Mutex<Set<Int64>>([])

    init(time: any TimeSource, margin: TimeInterval, held: Set<Int64>, until: Date) {
        self.time = time
        self.margin = margin
        self.state = Mutex((held, until))
    }

    /// After a renewal: the items still held, and until when.
    func update(held: Set<Int64>, until: Date) {
        state.withLock { $0 = (held, until) }
    }

    /// A job will not send these after all (its lease ran short, its endpoint went away): they are left to their lease,
    /// which the heartbeat stops renewing, so another claim can take them once it runs out.
    func giveUp(_ ids: Set<Int64>) {
        givenUp.withLock { $0.formUnion(ids) }
    }

    /// What jobs gave up since the last call.
    func takeGivenUp() -> Set<Int64> {
        givenUp.withLock { taken in
            defer { taken = [] }
            return taken
        }
    }

    /// Whether every one of `ids` is held with at least the margin left.
    func holds(_ ids: Set<Int64>) -> Bool {
        let now = time.now
        return state.withLock { now < $0.until.addingTimeInterval(-margin) && ids.isSubset(of: $0.held) }
    }
}
