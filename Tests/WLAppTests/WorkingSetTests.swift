import Foundation
import Logging
import Synchronization
import Testing
import WLPorts

@testable import WLServices

/// A worker's overlapping batches share one owner, so the lease alone cannot keep them apart once a batch's lease has
/// run out and a sibling batch claimed its items again: the worker's ``WorkingSet`` does.
@Suite struct WorkingSetTests {
    /// A heartbeat whose renewals hold every item asked about, as the store answers the owner that claimed them again.
    func heartbeat(_ working: WorkingSet, time: ManualTime) -> LeaseHeartbeat {
        LeaseHeartbeat(owner: "sms-same", working: working, lease: 60, time: time, logger: Logger(label: "test"), items: "messages") {
            ids, _, _, _ in Set(ids)
        }
    }

    @Test func aSiblingBatchLeavesAloneWhatTheFirstIsStillSendingAndTakesItOnceThatJobIsDone() async throws {
        let time = ManualTime(Date(timeIntervalSince1970: 1_800_000_000))
        let working = WorkingSet()
        let sent = Mutex<[Int64]>([])
        let (firstCallStarted, started) = AsyncStream.makeStream(of: Void.self)
        let (finishFirstCall, finish) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            await heartbeat(working, time: time).run([(messageIDs: [1, 2], job: "first")], claimedAt: time.now, concurrency: 1) { _, held in
                sent.withLock { $0 += held.sorted() }
                started.yield()
                for await _ in finishFirstCall { break }
                return held
            }
        }
        for await _ in firstCallStarted { break }
        // The same items claimed again by a sibling batch, with one the first batch does not have.
        let sibling = await heartbeat(working, time: time).run(
            [(messageIDs: [2], job: "a"), (messageIDs: [1, 3], job: "b")], claimedAt: time.now, concurrency: 1
        ) { _, held in
            sent.withLock { $0 += held.sorted() }
            return held
        }
        #expect(sibling == [[3]])
        #expect(working.count == 2)
        finish.yield()
        #expect(await first.value == [[1, 2]])
        #expect(sent.withLock { $0 } == [1, 2, 3])
        #expect(working.count == 0)
        // Done with, the items may be worked on again (a retry claimed by a later batch).
        let later = await heartbeat(working, time: time).run([(messageIDs: [1], job: "retry")], claimedAt: time.now, concurrency: 1) { _, held in
            held
        }
        #expect(later == [[1]])
    }

    @Test func takeGivesEachItemToOneBatchAndReleaseGivesBackOnlyWhatWasTaken() {
        let working = WorkingSet()
        #expect(working.take([1, 2, 3]) == [1, 2, 3])
        #expect(working.take([3, 4]) == [4])
        working.release([1, 2, 3])
        #expect(working.count == 1)
        #expect(working.take([1, 4]) == [1])
    }
}
