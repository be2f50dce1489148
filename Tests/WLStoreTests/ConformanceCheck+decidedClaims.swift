import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    /// Claims whose decisions commit with them (the SMS dispatcher's round).
    static let decidedClaims: [ConformanceCheck] = [
        ConformanceCheck("a deciding claim writes its charges, refusals and holds with the claim, and leases what it sends") { store in
            let firm = try await firmWithCredits(store, credits: 2)
            let ids = try await smsBlast(store, firm: firm, count: 5).map(\.id)
            let blocked = try #require(try await store.message(firmID: firm.id, id: ids[1]))
            _ = try await store.addOptOuts([FirmPhone(firmID: firm.id, phone: blocked.recipient)], source: .api, now: checkTime)
            let opening = checkTime.addingTimeInterval(3_600)
            let (batch, after) = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime) { batch in
                batch.messages.map { message in
                    if batch.optedOut.contains(FirmPhone(firmID: message.firmID, phone: message.recipient)) {
                        return (message.id, .fail(response: "Opted out", refund: false))
                    }
                    return (message.id, message.id == ids[2] ? .hold(until: opening, response: "Quiet hours") : .charge)
                }
            }
            #expect(batch.messages.map(\.id) == ids)
            #expect(batch.messages.allSatisfy { $0.stage == .queued && $0.status == .pending })
            #expect(batch.firms[firm.id]?.slug == firm.slug)
            #expect(batch.optedOut == [FirmPhone(firmID: firm.id, phone: blocked.recipient)])
            #expect(after.map(\.id) == ids)
            #expect(after.map(\.status) == [.processing, .failed, .pending, .processing, .failed])
            #expect(after.map(\.stage) == [.charged, .done, .queued, .charged, .done])
            #expect(after[4].response == insufficientCreditsResponse)
            #expect(after[2].dueAt == opening)
            #expect(try await store.message(firmID: firm.id, id: ids[3]) == after[3])
            #expect(try await store.firm(id: firm.id)?.smsCredits == .zero)
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).map(\.kind) == [.debit, .debit, .adjustment])
            #expect(try await store.events(firmID: firm.id, messageID: ids[0]).map(\.status) == [.processing])
            #expect(try await store.events(firmID: firm.id, messageID: ids[1]).map(\.status) == [.failed])
            // The charged messages are leased to the claimer; the held one comes back at its opening.
            #expect(try await store.renewLeases(messageIDs: ids, owner: "w", lease: 30, now: checkTime) == [ids[0], ids[3]])
            #expect(try await store.claimDue(channel: .sms, limit: 10, owner: "w2", lease: 30, now: checkTime.addingTimeInterval(29)).isEmpty)
            #expect(try await store.claimDue(channel: .sms, limit: 10, owner: "w2", lease: 30, now: opening).map(\.id) == [ids[0], ids[3], ids[2]])
        },
        ConformanceCheck("a deciding claim takes back a crashed worker's charged messages as they are") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let ids = try await smsBlast(store, firm: firm, count: 2).map(\.id)
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "crashed", lease: 30, now: checkTime) { batch in
                [(batch.messages[0].id, .charge)]
            }
            let later = checkTime.addingTimeInterval(31)
            let (batch, after) = try await store.claimDue(channel: .sms, limit: 10, owner: "w2", lease: 30, now: later) { _ in [] }
            #expect(batch.messages.map(\.id) == ids)
            #expect(batch.messages.map(\.stage) == [.charged, .queued])
            #expect(after == batch.messages)
            #expect(batch.optedOut.isEmpty)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 4))
            #expect(try await store.renewLeases(messageIDs: ids, owner: "w2", lease: 30, now: later) == Set(ids))
            let sent = try await store.record(ids.map { ($0, .submitted(providerMessageID: "P-\($0)", report: nil)) }, leaseOwner: "w2", now: later)
            #expect(sent.map(\.stage) == [.submitted, .queued])
        },
        ConformanceCheck("concurrent deciding claims and top-ups share no message, never overdraw, and chain the ledger") { store in
            let firm = try await firmWithCredits(store, credits: 100)
            _ = try await smsBlast(store, firm: firm, count: 240)
            let claims = try await withThrowingTaskGroup(of: [Message].self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        try await store.claimDue(channel: .sms, limit: 40, owner: "w\(worker)", lease: 30, now: checkTime) { batch in
                            batch.messages.map { ($0.id, .charge) }
                        }.after
                    }
                }
                for topUp in 0..<3 {
                    group.addTask {
                        _ = try await store.applyCredits(
                            firmID: firm.id, amount: Credits(whole: 10), kind: .adjustment, reference: "top-up \(topUp)", now: checkTime)
                        return []
                    }
                }
                return try await group.reduce(into: [Message]()) { $0 += $1 }
            }
            #expect(claims.count == 240)
            #expect(Set(claims.map(\.id)).count == 240)
            let charged = claims.count(where: { $0.status == .processing })
            #expect(charged >= 100 && charged <= 130)
            #expect(claims.count(where: { $0.status == .failed }) == 240 - charged)
            let balance = try #require(try await store.firm(id: firm.id)?.smsCredits)
            #expect(balance == Credits(whole: 130 - Int64(charged)))
            #expect(try await store.ledgerSum(firmID: firm.id) == balance)
            // Each row's balance follows from the one before it.
            let ledger = try await store.ledger(firmID: firm.id, limit: 500, startingAfter: nil).sorted { $0.id < $1.id }
            #expect(ledger.count == 1 + 3 + charged)
            for (previous, entry) in zip(ledger, ledger.dropFirst()) {
                #expect(entry.balanceAfter == previous.balanceAfter + entry.amount, "ledger row \(entry.id)")
            }
            #expect(ledger.last?.balanceAfter == balance)
        },
        ConformanceCheck("a deciding claim costs the same statements for 2 messages as for 300") { store in
            let (counting, counted, firm) = try await statementCountingStore(store)
            var costs: [Int] = []
            for (round, size) in [2, 300].enumerated() {
                _ = try await smsBlast(store, firm: firm, count: size)
                var claimed = 0
                costs.append(
                    try await counting.counting {
                        claimed = try await counted.claimDue(channel: .sms, limit: 1_000, owner: "w\(round)", lease: 30, now: checkTime) { batch in
                            batch.messages.map { ($0.id, .charge) }
                        }.after.count(where: { $0.stage == .charged })
                    })
                #expect(claimed == size)
            }
            #expect(costs[0] == costs[1])
            #expect(costs[0] <= 12)
            #expect(try await store.claimWebhookDeliveries(limit: 1_000, owner: "hooks", lease: 30, now: checkTime).count == 302)
        },
    ]
}
