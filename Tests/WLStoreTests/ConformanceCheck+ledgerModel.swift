import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// A small seeded generator (SplitMix64), so a failing model run can be repeated exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The exact oracle of one firm's credits: its balance and every entry, in order.
struct LedgerOracle {
    var balance = Credits.zero
    var entries: [(kind: LedgerKind, amount: Credits)] = []

    mutating func apply(_ kind: LedgerKind, _ amount: Credits) {
        balance = balance + amount
        entries.append((kind, amount))
    }
}

extension ConformanceCheck {
    /// How many random operations the model runs.
    static let ledgerModelOperations = 10_000

    static let ledgerModel: [ConformanceCheck] = [
        ConformanceCheck("ledger model: 10,000 random purchases, debits, refunds, adjustments and rate changes match an exact oracle") {
            store in
            var random = SeededGenerator(state: 0x5EED_2026)
            var firms = [try await firmWithCredits(store, "model-a", credits: 0), try await firmWithCredits(store, "model-b", credits: 0)]
            var oracles = [LedgerOracle(), LedgerOracle()]
            var receipt = 0
            for step in 1...ledgerModelOperations {
                let index = Int.random(in: 0..<2, using: &random)
                let firm = firms[index]
                let units = Int64.random(in: 1...50_000, using: &random)
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<25:  // a purchase, settled by one of M-Pesa's outcomes, sometimes repeated
                    let shillings = Int64.random(in: 1...5_000, using: &random)
                    let payment = try await newPayment(store, firm: firm, shillings: shillings)
                    receipt += 1
                    let outcome: PaymentOutcome
                    let credited: Bool
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0: (outcome, credited) = (.declined(resultCode: 1032, description: "Request cancelled by user"), false)
                    case 1: (outcome, credited) = (.paid(receipt: "M\(receipt)", amount: KES(shillings: shillings + 1), paidAt: nil), false)
                    default: (outcome, credited) = (.paid(receipt: "M\(receipt)", amount: KES(shillings: shillings), paidAt: nil), true)
                    }
                    for _ in 0..<Int.random(in: 1...2, using: &random) {
                        _ = try await store.settlePayment(id: payment.id, outcome: outcome, now: checkTime)
                    }
                    if credited { oracles[index].apply(.purchase, KES(shillings: shillings).credits(atRate: firm.smsRate)) }
                case 25..<60:  // a debit, refused when it would overdraw
                    let amount = Credits(units: -units)
                    if oracles[index].balance.units >= units {
                        let entry = try await store.applyCredits(firmID: firm.id, amount: amount, kind: .debit, reference: "m", now: checkTime)
                        oracles[index].apply(.debit, amount)
                        #expect(entry.balanceAfter == oracles[index].balance, "step \(step)")
                    } else {
                        await #expect(throws: DomainError(.insufficientCredits, "Insufficient SMS credits"), "step \(step)") {
                            try await store.applyCredits(firmID: firm.id, amount: amount, kind: .debit, reference: "m", now: checkTime)
                        }
                    }
                case 60..<75:
                    let entry = try await store.applyCredits(
                        firmID: firm.id, amount: Credits(units: units), kind: .refund, reference: "m", now: checkTime)
                    oracles[index].apply(.refund, Credits(units: units))
                    #expect(entry.balanceAfter == oracles[index].balance, "step \(step)")
                case 75..<95:  // an adjustment either way, refused when it would overdraw
                    let amount = Credits(units: Bool.random(using: &random) ? units : -units)
                    if (oracles[index].balance + amount).units >= 0 {
                        _ = try await store.applyCredits(firmID: firm.id, amount: amount, kind: .adjustment, reference: "admin", now: checkTime)
                        oracles[index].apply(.adjustment, amount)
                    } else {
                        await #expect(throws: DomainError(.insufficientCredits, "Insufficient SMS credits"), "step \(step)") {
                            try await store.applyCredits(firmID: firm.id, amount: amount, kind: .adjustment, reference: "admin", now: checkTime)
                        }
                    }
                default:  // a new rate: later purchases use it, earlier ones keep theirs
                    firms[index] = try await store.updateFirm(
                        id: firm.id, FirmUpdate(smsRate: KES(cents: Int64.random(in: 50...500, using: &random))))
                }
                if step % 1_000 == 0 {
                    for (firm, oracle) in zip(firms, oracles) {
                        #expect(try await store.firm(id: firm.id)?.smsCredits == oracle.balance, "step \(step)")
                        #expect(try await store.ledgerSum(firmID: firm.id) == oracle.balance, "step \(step)")
                    }
                }
            }
            for (firm, oracle) in zip(firms, oracles) {
                var entries: [LedgerEntry] = []
                var cursor: Int64?
                while true {
                    let page = try await store.ledger(firmID: firm.id, limit: 500, startingAfter: cursor)
                    entries += page
                    guard let last = page.last else { break }
                    cursor = last.id
                }
                let oldestFirst = entries.reversed()
                #expect(oldestFirst.map(\.kind) == oracle.entries.map(\.kind))
                #expect(oldestFirst.map(\.amount) == oracle.entries.map(\.amount))
                #expect(oldestFirst.last?.balanceAfter ?? .zero == oracle.balance)
                #expect(Set(entries.map(\.firmID)) == (entries.isEmpty ? [] : [firm.id]))
            }
        }
    ]
}
