import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    static let optOuts: [ConformanceCheck] = [
        ConformanceCheck("opt-outs are kept per firm, once, with their first source, listed in number order") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let entries = ["254712345678", "254700000001", "254712345678"].map { FirmPhone(firmID: firm.id, phone: $0) }
            #expect(try await store.addOptOuts(entries, source: .api, now: checkTime) == 2)
            #expect(try await store.addOptOuts([entries[0]], source: .provider, now: checkTime.addingTimeInterval(5)) == 0)
            let listed = try await store.optOuts(firmID: firm.id, limit: 10, startingAfter: nil)
            #expect(listed.map(\.phone) == ["254700000001", "254712345678"])
            #expect(listed.allSatisfy { $0.source == .api && $0.createdAt == checkTime })
            #expect(try await store.optOuts(firmID: firm.id, limit: 10, startingAfter: "254700000001").map(\.phone) == ["254712345678"])
            #expect(try await store.optOuts(firmID: other.id, limit: 10, startingAfter: nil).isEmpty)
            let asked = [FirmPhone(firmID: firm.id, phone: "254712345678"), FirmPhone(firmID: other.id, phone: "254712345678")]
            #expect(try await store.optedOut(asked) == [asked[0]])
            #expect(try await store.removeOptOut(asked[0]))
            #expect(try await !store.removeOptOut(asked[0]))
            #expect(try await store.optedOut(asked).isEmpty)
        },
        ConformanceCheck("a blast's numbers are checked against a short opt-out list and a long one alike") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let numbers = (0..<3_000).map { FirmPhone(firmID: firm.id, phone: "2547\(10_000_000 + $0)") }
            _ = try await store.addOptOuts([numbers[5], numbers[2_999]], source: .api, now: checkTime)
            _ = try await store.addOptOuts([FirmPhone(firmID: other.id, phone: numbers[7].phone)], source: .api, now: checkTime)
            #expect(try await store.optedOut(numbers) == [numbers[5], numbers[2_999]])
            // More listed numbers than the store reads whole: the same answer by the other path.
            _ = try await store.addOptOuts(Array(numbers[1_000..<2_200]), source: .api, now: checkTime)
            let expected = Set([numbers[5], numbers[2_999]] + numbers[1_000..<2_200])
            #expect(try await store.optedOut(numbers) == expected)
            let mixed = numbers + [FirmPhone(firmID: other.id, phone: numbers[7].phone)]
            #expect(try await store.optedOut(mixed) == expected.union([mixed.last!]))
        },
        ConformanceCheck("firms sending under a sender ID are found, with the default's users when it is the default") { store in
            let acme = try await firmWithCredits(store, credits: 0)
            let beta = try await firmWithCredits(store, "beta", credits: 0)
            let gamma = try await firmWithCredits(store, "gamma", credits: 0)
            _ = try await store.updateFirm(
                id: acme.id, FirmUpdate(senderIDs: SenderIDs(transactional: try SenderID("ACME"), promotional: try SenderID("ACMEInfo"))))
            _ = try await store.updateFirm(id: beta.id, FirmUpdate(senderIDs: SenderIDs(transactional: try SenderID("BETA"))))
            #expect(try await store.firmIDs(sendingAs: "ACMEInfo", isDefault: false) == [acme.id])
            #expect(try await store.firmIDs(sendingAs: "WLCOMM", isDefault: false) == [])
            #expect(try await store.firmIDs(sendingAs: "WLCOMM", isDefault: true) == [beta.id, gamma.id])
            let read = try #require(try await store.firm(id: acme.id))
            #expect(read.senderIDs.promotional?.value == "ACMEInfo")
            let window = try SendingWindow(parsing: "09:00-17:00")
            let narrowed = try await store.updateFirm(id: acme.id, FirmUpdate(promotionalWindow: .some(window)))
            #expect(narrowed.promotionalWindow == window)
            #expect(try await store.updateFirm(id: acme.id, FirmUpdate(promotionalWindow: .some(nil))).promotionalWindow == nil)
        },
    ]
}
