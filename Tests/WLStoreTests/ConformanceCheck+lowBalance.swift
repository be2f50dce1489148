import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// The credit events stored for `firm`, and how many webhook deliveries carry one.
private func alerts(_ store: SQLStore, _ firm: Firm) async throws -> (events: [Int64], deliveries: Int) {
    try await store.database.read { connection in
        let events = try await connection.query("SELECT balance FROM credit_events WHERE firm_id = $1 ORDER BY id", [.int(firm.id)])
            .map { try $0.int("balance") }
        let deliveries = try await connection.query(
            "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE firm_id = $1 AND credit_event_id IS NOT NULL", [.int(firm.id)])[0].int("n")
        return (events, Int(deliveries))
    }
}

extension ConformanceCheck {
    static let lowBalance: [ConformanceCheck] = [
        ConformanceCheck("setting the same threshold again does not fire the alert again; a new one re-arms it") { store in
            let firm = try await firmWithCredits(store, credits: 2)
            _ = try await store.setLowBalanceThreshold(firmID: firm.id, Credits(whole: 3), now: checkTime)
            _ = try await store.setLowBalanceThreshold(firmID: firm.id, Credits(whole: 3), now: checkTime)
            #expect(try await alerts(store, firm).events == [Credits(whole: 2).units])
            _ = try await store.setLowBalanceThreshold(firmID: firm.id, Credits(whole: 4), now: checkTime)
            #expect(try await alerts(store, firm).events == [Credits(whole: 2).units, Credits(whole: 2).units])
        },
        ConformanceCheck("a low-balance alert fires once when charges cross the threshold, and again after a top-up re-arms it") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://hooks.example/in", secret: "s"), now: checkTime)
            _ = try await store.setLowBalanceThreshold(firmID: firm.id, Credits(whole: 3), now: checkTime)
            #expect(try await alerts(store, firm).events.isEmpty)
            let messages = try await smsBlast(store, firm: firm, count: 4)
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record(messages.prefix(2).map { ($0.id, .charge) }, leaseOwner: "w", now: checkTime)
            #expect(try await alerts(store, firm).events == [Credits(whole: 3).units])
            _ = try await store.record(messages.suffix(2).map { ($0.id, .charge) }, leaseOwner: "w", now: checkTime)
            #expect(try await alerts(store, firm).events.count == 1)
            _ = try await store.applyCredits(firmID: firm.id, amount: Credits(whole: 10), kind: .adjustment, reference: "top-up", now: checkTime)
            _ = try await store.applyCredits(firmID: firm.id, amount: Credits(whole: -9), kind: .adjustment, reference: "fix", now: checkTime)
            let fired = try await alerts(store, firm)
            #expect(fired.events == [Credits(whole: 3).units, Credits(whole: 2).units])
            #expect(fired.deliveries == 2)
            let claimed = try await store.claimWebhookDeliveries(limit: 50, owner: "d", lease: 30, now: checkTime)
            let credit = claimed.compactMap { if case .credits(let event) = $0.subject { event } else { nil } }
            #expect(credit.map(\.event) == [LowBalanceRule.eventName, LowBalanceRule.eventName])
            #expect(credit.first?.threshold == Credits(whole: 3))
        },
        ConformanceCheck("a threshold set above the balance fires at once; none set, nothing fires") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let other = try await firmWithCredits(store, "other", credits: 5)
            _ = try await store.applyCredits(firmID: other.id, amount: Credits(whole: -5), kind: .adjustment, reference: "x", now: checkTime)
            #expect(try await alerts(store, other).events.isEmpty)
            let set = try await store.setLowBalanceThreshold(firmID: firm.id, Credits(whole: 50), now: checkTime)
            #expect(set.lowBalanceThreshold == Credits(whole: 50))
            #expect(try await alerts(store, firm).events == [Credits(whole: 5).units])
            // No webhook: the event is kept (and logged) but nothing is queued for delivery.
            #expect(try await alerts(store, firm).deliveries == 0)
            #expect(try await store.setLowBalanceThreshold(firmID: firm.id, nil, now: checkTime).lowBalanceThreshold == nil)
        },
    ]
}
