import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    static let credits: [ConformanceCheck] = [
        ConformanceCheck("credits move with a ledger row and the balance equals the ledger's sum") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let purchase = try await store.applyCredits(
                firmID: firm.id, amount: Credits(units: 2_777_778), kind: .purchase, reference: "payment-1", now: checkTime)
            #expect(purchase.balanceAfter == Credits(units: 2_777_778))
            let debit = try await store.applyCredits(
                firmID: firm.id, amount: Credits(whole: -2), kind: .debit, reference: "message-1", now: checkTime)
            #expect(debit.balanceAfter == Credits(units: 2_757_778))
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(units: 2_757_778))
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits(units: 2_757_778))
            let entries = try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil)
            #expect(entries.map(\.kind) == [.debit, .purchase])
            #expect(entries.map(\.reference) == ["message-1", "payment-1"])
        },
        ConformanceCheck("a debit past zero is refused and writes nothing") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            _ = try await store.applyCredits(firmID: firm.id, amount: Credits(whole: 1), kind: .adjustment, reference: "seed", now: checkTime)
            await #expect(throws: DomainError(.insufficientCredits, "Insufficient SMS credits")) {
                try await store.applyCredits(firmID: firm.id, amount: Credits(units: -10_001), kind: .debit, reference: "m", now: checkTime)
            }
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 1))
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).count == 1)
        },
        ConformanceCheck("concurrent debits never take a balance below zero") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            _ = try await store.applyCredits(firmID: firm.id, amount: Credits(whole: 20), kind: .adjustment, reference: "seed", now: checkTime)
            let outcomes = await withTaskGroup(of: String?.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        do {
                            _ = try await store.applyCredits(
                                firmID: firm.id, amount: Credits(whole: -1), kind: .debit, reference: "m\(index)", now: checkTime)
                            return nil
                        } catch {
                            // Anything but a refusal for want of credits (a deadlock, a busy database) shows here.
                            return (error as? DomainError).map { "\($0.code)" } ?? "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 20)
            #expect(outcomes.compactMap { $0 } == Array(repeating: "insufficientCredits", count: 30))
            #expect(try await store.firm(id: firm.id)?.smsCredits == .zero)
            #expect(try await store.ledgerSum(firmID: firm.id) == .zero)
        },
        ConformanceCheck("the ledger pages newest first and keeps firms apart") { store in
            let a = try await store.createFirm(try newFirm("firm-a"), now: checkTime)
            let b = try await store.createFirm(try newFirm("firm-b"), now: checkTime)
            for index in 1...5 {
                _ = try await store.applyCredits(
                    firmID: a.id, amount: Credits(whole: Int64(index)), kind: .adjustment, reference: "a\(index)", now: checkTime)
                _ = try await store.applyCredits(firmID: b.id, amount: Credits(whole: 100), kind: .adjustment, reference: "b\(index)", now: checkTime)
            }
            let first = try await store.ledger(firmID: a.id, limit: 2, startingAfter: nil)
            #expect(first.map(\.reference) == ["a5", "a4"])
            let second = try await store.ledger(firmID: a.id, limit: 10, startingAfter: first.last?.id)
            #expect(second.map(\.reference) == ["a3", "a2", "a1"])
            #expect(try await store.ledgerSum(firmID: a.id) == Credits(whole: 15))
            #expect(try await store.firm(id: b.id)?.smsCredits == Credits(whole: 500))
        },
        ConformanceCheck("credits for an unknown firm are not found") { store in
            let error = await #expect(throws: DomainError.self) {
                try await store.applyCredits(firmID: 424_242, amount: Credits(whole: 1), kind: .adjustment, reference: "x", now: checkTime)
            }
            #expect(error?.code == .notFound)
        },
    ]
}
