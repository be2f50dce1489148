import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    static let queueLevels: [ConformanceCheck] = [
        ConformanceCheck("queue levels count pending and processing per channel, with the oldest due and the oldest accepted") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let due = checkTime.addingTimeInterval(-600)
            let now = try await smsBlast(store, firm: firm, count: 3, sendAt: due)
            _ = try await smsBlast(store, firm: firm, count: 1, reference: "later", sendAt: checkTime.addingTimeInterval(86_400))
            _ = try await store.claimDue(channel: .sms, limit: 1, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record([(now[0].id, DispatchOutcome.charge)], leaseOwner: "w", now: checkTime)
            let levels = try await store.queueLevels(now: checkTime)
            #expect(levels.map { "\($0.queue)/\($0.status)" } == QueueLevel.all.map { "\($0.queue)/\($0.status)" })
            let level = { (queue: String, status: String) in levels.first { $0.queue == queue && $0.status == status } }
            #expect(level("sms", "pending") == QueueLevel(queue: "sms", status: "pending", depth: 3, oldest: due))
            #expect(level("sms", "processing") == QueueLevel(queue: "sms", status: "processing", depth: 1, oldest: checkTime))
            #expect(level("email", "pending")?.depth == 0)
            #expect(level("webhooks", "pending") == QueueLevel(queue: "webhooks", status: "pending", depth: 0, oldest: nil))
            // Before anything is due, the pending queue has depth but no age.
            let early = try await store.queueLevels(now: due.addingTimeInterval(-1))
            #expect(early.first { $0.queue == "sms" && $0.status == "pending" }?.oldest == nil)
        }
    ]
}
