import Foundation
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

@Suite struct AdminTests {
    @Test func seedingTwiceChangesNothing() async throws {
        let app = TestApp()
        let (first, second, keys, ledger) = try await app.admin { _, store in
            let seeder = SandboxSeeder(store: store, time: SystemTimeSource())
            let first = try await seeder.seed()
            let second = try await seeder.seed()
            return (first, second, try await store.apiKeys(firmID: first.id), try await store.ledger(firmID: first.id, limit: 10, startingAfter: nil))
        }
        #expect(first == second)
        #expect(first.smsCredits == Credits(whole: 1000))
        #expect(first.mode == .sandbox)
        #expect(first.smsRate == KES(cents: 180))
        #expect(keys.map(\.hash) == [SandboxSeeder.sandboxKey.hash])
        #expect(ledger.count == 1)
    }

    @Test func contactsImportInBatchesReportsProgressAndBadLines() async throws {
        let rows = (0..<1_200).map { "P\($0),07\(String(format: "%08d", $0)),client\n" }
        let csv = "first_name,phone,kind\n" + rows.joined() + "Bad,12345,client\n"
        let app = TestApp()
        let progress = Mutex<[Int]>([])
        let result = try await app.admin { admin, _ in
            _ = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            return try await admin.importContacts(firm: "acme", csv: csv, batchSize: 500) { done, total in
                #expect(total == 1_200)
                progress.withLock { $0.append(done) }
            }
        }
        #expect(result.summary == ContactImportSummary(inserted: 1_200, updated: 0))
        #expect(result.errors.map(\.line) == [1_202])
        #expect(progress.withLock { $0 } == [500, 1_000, 1_200])
    }

    @Test(arguments: ["ftp://example.com/hook", "not a url", "/relative", "https://"])
    func webhookURLsMustBeAbsoluteHTTP(url: String) async throws {
        let app = TestApp()
        try await app.admin { _, store in _ = try await SandboxSeeder(store: store, time: SystemTimeSource()).seed() }
        let error = await #expect(throws: DomainError.self) {
            try await app.admin { admin, _ in try await admin.setWebhook(firm: "sandbox", url: url, secret: nil) }
        }
        #expect(error?.code == .validation)
        #expect(error?.fields["url"] == ["invalid"])
    }

    @Test func createdKeysAreShownOnceAndStoredHashed() async throws {
        let app = TestApp()
        let (key, stored) = try await app.admin { admin, store in
            let firm = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            let created = try await admin.createKey(firm: "acme", label: "billing")
            return (created.key, try await store.apiKeys(firmID: firm.id))
        }
        #expect(key.secret.hasPrefix("wl_comm_"))
        #expect(stored.count == 1)
        #expect(stored[0].hash == key.hash)
        #expect(stored[0].hash != key.secret)
        #expect(stored[0].label == "billing")
    }

    @Test func theCLIsRateChangesAndAdjustmentsObeyTheConsolesRules() async throws {
        let app = TestApp()
        try await app.admin { admin, _ in
            _ = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            for rate in [KES(cents: 0), KES(shillings: 10_001)] {
                let error = await #expect(throws: DomainError.self) { try await admin.update("acme", FirmUpdate(smsRate: rate)) }
                #expect(error?.code == .validation && error?.fields["sms_rate"] != nil)
            }
            #expect(try await admin.update("acme", FirmUpdate(smsRate: NewFirm.maximumSMSRate)).smsRate == NewFirm.maximumSMSRate)
            let blank = await #expect(throws: DomainError.self) { try await admin.update("acme", FirmUpdate(name: "  ")) }
            #expect(blank?.code == .validation && blank?.fields["name"] == ["1 to 200 characters"])
            let zero = await #expect(throws: DomainError.self) { try await admin.adjustCredits(firm: "acme", amount: .zero, reason: "none") }
            #expect(zero?.code == .validation && zero?.fields["amount"] == ["not zero"])
            let noReason = await #expect(throws: DomainError.self) {
                try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 1), reason: " ")
            }
            #expect(noReason?.code == .validation && noReason?.fields["reason"] == ["1 to 200 characters"])
            #expect(try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 1), reason: " trial ").reference == "trial")
        }
    }

    @Test func aFirmIsFoundByIdOrSlug() async throws {
        let app = TestApp()
        let (byID, bySlug) = try await app.admin { admin, _ in
            let firm = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            return (try await admin.firm(String(firm.id)), try await admin.firm("acme"))
        }
        #expect(byID == bySlug)
        let error = await #expect(throws: DomainError.self) { try await app.admin { admin, _ in try await admin.firm("nobody") } }
        #expect(error?.code == .notFound)
    }
}
