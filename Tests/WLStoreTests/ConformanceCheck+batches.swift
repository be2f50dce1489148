import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// `store` seen through a statement counter, and a firm with 1,000 credits and a working webhook (so batches write
/// outbox rows too).
func statementCountingStore(_ store: SQLStore) async throws -> (counting: CountingDatabase, counted: SQLStore, firm: Firm) {
    let counting = CountingDatabase(store.database)
    let firm = try await firmWithCredits(store, credits: 1_000)
    try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://hooks.example/in", secret: "s"), now: checkTime)
    return (counting, SQLStore(database: counting, secrets: store.secrets), firm)
}

extension ConformanceCheck {
    /// Set-based dispatch: a batch costs a constant number of statements, and any text survives the trip.
    static let batches: [ConformanceCheck] = [
        ConformanceCheck("charging and recording a batch costs the same statements for 2 messages as for 300") { store in
            let (counting, counted, firm) = try await statementCountingStore(store)
            var costs: [Int] = []
            for (round, size) in [2, 300].enumerated() {
                let owner = "w\(round)"
                let ids = try await smsBlast(store, firm: firm, count: size).map(\.id)
                #expect(try await store.claimDue(channel: .sms, limit: 1_000, owner: owner, lease: 30, now: checkTime).count == size)
                let report = DeliveryReport(status: .delivered, response: "Success", network: "Safaricom")
                costs.append(
                    try await counting.counting {
                        _ = try await counted.record(ids.map { ($0, DispatchOutcome.charge) }, leaseOwner: owner, now: checkTime)
                        _ = try await counted.record(
                            ids.map { ($0, DispatchOutcome.submitted(providerMessageID: "P-\($0)", report: report)) }, leaseOwner: owner,
                            now: checkTime)
                    })
                let delivered = try await store.firstPageMessages(
                    firmID: firm.id, filter: MessageFilter(channel: .sms, status: .delivered), limit: 1_000, startingAfter: nil)
                #expect(Set(ids).isSubset(of: Set(delivered.map(\.id))))
                let events = try await store.events(firmID: firm.id, messageID: ids[ids.count - 1])
                #expect(events.map(\.status) == [.processing, .delivered])
            }
            #expect(costs[0] == costs[1])
            #expect(costs[0] <= 12)
            // 302 debits; each message's webhook deliveries go out in order, so its first (processing) is due now.
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits(whole: 1_000 - 302))
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 1_000 - 302))
            let pending = try await store.claimWebhookDeliveries(limit: 1_000, owner: "hooks", lease: 30, now: checkTime)
            #expect(pending.count == 302)
            #expect(Set(pending.map(\.subject.eventName)) == ["communication.sms.processing"])
        },
        ConformanceCheck("responses with quotes, backslashes, control characters and emoji survive a batch write") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let ids = try await smsBlast(store, firm: firm, count: 2).map(\.id)
            _ = try await store.claimDue(channel: .sms, limit: 5, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record(ids.map { ($0, DispatchOutcome.charge) }, leaseOwner: "w", now: checkTime)
            let odd = "Rejected: \"blocked\" \\ C:\\path\n\ttab \u{1}\u{1F} ok 😀 ж 中 '; DROP TABLE messages; --"
            let changed = try await store.record(ids.map { ($0, DispatchOutcome.fail(response: odd, refund: true)) }, leaseOwner: "w", now: checkTime)
            #expect(changed.map(\.response) == [odd, odd])
            #expect(try await store.message(firmID: firm.id, id: ids[1])?.response == odd)
            #expect(try await store.events(firmID: firm.id, messageID: ids[1]).last?.response == odd)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 10))
        },
    ]
}
