import Foundation
import Logging
import Synchronization
import Testing
import WLPorts

@testable import WLServices

/// A job that waited (a webhook POST behind its firm's slow POSTs) checks its lease again before it sends.
@Suite struct LeaseCheckTests {
    struct DatabaseAway: Error {}

    @Test func aJobSeesItsLeaseRunOutWhileRenewalsFailAndSendsNothingThen() async throws {
        let time = ManualTime(Date(timeIntervalSince1970: 1_800_000_000))
        let heartbeat = LeaseHeartbeat(
            owner: "w", working: WorkingSet(), lease: 60, time: time, logger: Logger(label: "test"), items: "webhook deliveries"
        ) { _, _, _, _ in throw DatabaseAway() }
        let checks = await heartbeat.run([(messageIDs: [1], job: "post")], claimedAt: time.now, concurrency: 1) { _, held, lease in
            let atStart = lease.holds(held)
            // Twenty seconds in, a third of the lease is still left; past forty it is not, and no renewal came.
            time.set(time.now.addingTimeInterval(39))
            let before = lease.holds(held)
            time.set(time.now.addingTimeInterval(2))
            return [atStart, before, lease.holds(held)]
        }
        #expect(checks == [[true, true, false]])
    }

    @Test func aJobSeesWhatTheHeartbeatLastRenewedAndWhatAJobGaveUpIsRenewedNoMore() async throws {
        let time = ManualTime(Date(timeIntervalSince1970: 1_800_000_000))
        let renewals = Mutex<[[Int64]]>([])
        let heartbeat = LeaseHeartbeat(
            owner: "w", working: WorkingSet(), lease: 60, time: time, logger: Logger(label: "test"), items: "webhook deliveries"
        ) { ids, _, _, _ in
            // The first renewal holds everything asked about; the database is away after it.
            let count = renewals.withLock {
                $0.append(ids.sorted())
                return $0.count
            }
            guard count == 1 else { throw DatabaseAway() }
            return Set(ids)
        }
        let checks = await heartbeat.run(
            [(messageIDs: [1], job: 1), (messageIDs: [2], job: 2), (messageIDs: [3], job: 3)], claimedAt: time.now, concurrency: 1
        ) { job, held, lease -> [Bool] in
            switch job {
            case 1:
                // Given up, and 25 s gone: the heartbeat renews before the next job, without it.
                lease.giveUp(held)
                time.set(time.now.addingTimeInterval(25))
                return []
            case 2:
                // Renewed at 25 s until 85 s: held at 50 s (the claim's own lease would have left too little), not
                // past 65 s.
                var seen = [lease.holds(held)]
                time.set(time.now.addingTimeInterval(25))
                seen.append(lease.holds(held))
                time.set(time.now.addingTimeInterval(16))
                seen.append(lease.holds(held))
                return seen
            default:
                Issue.record("job 3 starts with too little of its lease left")
                return []
            }
        }
        // Job 3 is not started: the heartbeat's own check at 66 s, the renewal at 66 s having failed.
        #expect(checks == [[], [true, true, false]])
        #expect(renewals.withLock { $0.first } == [2, 3])
    }

    @Test func aRenewalMovesTheLeaseOnAndDropsWhatItNoLongerHolds() {
        let time = ManualTime(Date(timeIntervalSince1970: 1_800_000_000))
        let check = LeaseCheck(time: time, margin: 20, held: [1, 2], until: time.now.addingTimeInterval(60))
        time.set(time.now.addingTimeInterval(45))
        #expect(!check.holds([1]))
        check.update(held: [2], until: time.now.addingTimeInterval(60))
        #expect(check.holds([2]) && !check.holds([1]) && !check.holds([1, 2]))
    }

    @Test func aSlotWhoseHolderSentNothingLeavesTheWindowAsItWas() async {
        let slots = EndpointSlots(start: 4, ceiling: 8)
        _ = await slots.withSlot(7, { () async -> Int? in nil }, succeeded: { $0.map { _ in false } })
        #expect(slots.limit(7) == 4)
        _ = await slots.withSlot(7, { () async -> Int? in 500 }, succeeded: { $0.map { _ in false } })
        #expect(slots.limit(7) == 2)
    }
}
