import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// A client contact with `phone` (a `254…` number).
private func client(_ phone: String, first: String, balance: Int64? = nil, consent: Bool? = nil, source: String? = nil) -> Contact {
    Contact(
        kind: .client, firstName: first, lastName: "", phone: PhoneNumber(phone), email: nil, accountBalance: balance.map(KES.init(cents:)),
        promotionalConsent: consent, consentSource: source)
}

extension ConformanceCheck {
    static let clients: [ConformanceCheck] = [
        ConformanceCheck("clients are created or updated by phone in a constant number of statements, consent kept unless given") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let counting = CountingDatabase(store.database)
            let counted = SQLStore(database: counting, secrets: store.secrets)
            var costs: [Int] = []
            for size in [2, 300] {
                let batch = (0..<size).map { client("2547\(String(format: "%08d", $0))", first: "P\($0)") }
                costs.append(try await counting.counting { _ = try await counted.upsertClients(firmID: other.id, batch, now: checkTime) })
            }
            #expect(costs[0] == costs[1])
            let first = try await store.upsertClients(
                firmID: firm.id,
                [client("254712345678", first: "Jane", balance: 100, consent: true, source: "web form"), client("254700000001", first: "Ali")],
                now: checkTime)
            #expect(first == ContactImportSummary(inserted: 2, updated: 0))
            let again = try await store.upsertClients(firmID: firm.id, [client("254712345678", first: "Janet", balance: 250)], now: checkTime)
            #expect(again == ContactImportSummary(inserted: 0, updated: 1))
            let jane = try #require(try await store.contactsByPhone(firmID: firm.id, phones: ["254712345678"])["254712345678"])
            #expect(jane.firstName == "Janet" && jane.accountBalance == KES(cents: 250))
            #expect(jane.promotionalConsent == true && jane.consentSource == "web form")
            _ = try await store.upsertClients(
                firmID: firm.id, [client("254712345678", first: "Janet", consent: false, source: "SMS STOP")], now: checkTime)
            let withdrawn = try #require(try await store.contactsByPhone(firmID: firm.id, phones: ["254712345678"])["254712345678"])
            #expect(withdrawn.promotionalConsent == false && withdrawn.consentSource == "SMS STOP")
            #expect(try await store.contacts(firmID: firm.id).count == 2)
            #expect(try await store.deleteContacts(firmID: firm.id, phone: "254712345678") == 1)
            #expect(try await store.deleteContacts(firmID: firm.id, phone: "254712345678") == 0)
            #expect(try await store.contacts(firmID: other.id).count == 300)
        }
    ]
}
