import Foundation
import Logging
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
