import Foundation
import Logging
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

/// When the audit log cannot be written, a change already made is answered as made (its line goes to the error log),
/// and a credit adjustment, written with its line, is not made at all.
@Suite struct AuditFailureTests {
    /// The console's actions over a store whose audit log refuses every line.
    func withRefusingAuditLog(_ body: @Sendable (ConsoleActions, Firm, SQLStore, LogCapture) async throws -> Void) async throws {
        let app = TestApp()
        try await app.admin { admin, store in
            let firm = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme Ltd", smsRate: KES(shillings: 2), mode: .live))
            _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 5), reason: "trial")
            _ = try await store.database.transaction { connection in
                try await connection.query(
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END", [])
            }
            let log = LogCapture()
            let accounts = ConsoleAccounts(store: store, time: app.time, settings: ConsoleSettings(bcryptCost: 4), logger: log.logger())
            let actions = ConsoleActions(store: store, admin: admin, accounts: accounts, authentications: AuthenticationCache(lifetime: 0))
            try await body(actions, firm, store, log)
        }
        try? FileManager.default.removeItem(at: app.folder)
    }

    static let origin = AuditOrigin(actor: "owner@acme.test", role: "owner", clientAddress: "10.0.0.7", requestID: "req-1")

    @Test func aKeyMadeIsShownAndItsMissingLineIsLogged() async throws {
        try await withRefusingAuditLog { actions, firm, store, log in
            let made = try await actions.createKey(firm: firm, label: "billing", origin: Self.origin)
            #expect(try await store.authenticate(keyHash: made.key.hash, now: Date())?.firm.id == firm.id)
            let errors = log.all.filter { $0.hasPrefix("error") }
            #expect(errors.count == 1)
            #expect(errors.first?.contains("An audit line was not written; the change it records was made") == true)
            #expect(errors.first?.contains("api_key.create") == true && errors.first?.contains("req-1") == true)
            #expect(errors.first?.contains(made.key.secret) == false, "the key's secret is never logged")
        }
    }

    @Test func aCreditAdjustmentWhoseLineFailsIsNotMade() async throws {
        try await withRefusingAuditLog { actions, firm, store, log in
            let error = await #expect(throws: (any Error).self) {
                try await actions.adjustCredits(firmID: firm.id, amount: Credits(whole: 100), reason: "goodwill", origin: Self.origin)
            }
            #expect(error.map { "\($0)".contains("disk I/O error") } == true, "the audit line's own failure: \(String(describing: error))")
            let balance = try await store.firm(id: firm.id)?.smsCredits
            #expect(balance == Credits(whole: 5))
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).map(\.reference) == ["trial"])
            #expect(log.all.filter { $0.hasPrefix("error") }.isEmpty)
        }
    }
}
