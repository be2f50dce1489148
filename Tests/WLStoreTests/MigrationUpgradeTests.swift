import Foundation
import Testing
import WLDomain

@testable import WLStore

/// Upgrading a database that already holds webhook deliveries and attempts to the payments schema (version 5, which
/// rebuilds the webhook tables on SQLite) keeps every row, id and link.
@Suite struct MigrationUpgradeTests {
    @Test func sqlite() async throws {
        try await TestDatabases.withSQLite { try await Self.upgrade(SQLStore(database: $0)) }
    }

    @Test(.enabled(if: TestDatabases.postgresURL != nil, "no PostgreSQL: set WLCOMM_TEST_POSTGRES_URL"))
    func postgres() async throws {
        try await TestDatabases.withPostgres { try await Self.upgrade(SQLStore(database: $0)) }
    }

    static func upgrade(_ store: SQLStore) async throws {
        let beforePayments = Array(Migration.all.prefix(while: { $0.version < 5 }))
        try await Migrator.migrate(store.database, migrations: beforePayments)
        let firm = try await firmWithCredits(store, credits: 0)
        try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "s"), now: checkTime)
        let messages = try await smsBlast(store, firm: firm, count: 2)
        for message in messages { _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime) }
        try await store.database.transaction { connection in
            let delivery = try await connection.query("SELECT MIN(id) AS id FROM webhook_deliveries")[0].int("id")
            try await connection.query(
                "INSERT INTO webhook_attempts (delivery_id, firm_id, attempt, started_at, status_code, latency_ms) VALUES ($1, $2, 1, $3, 500, 7)",
                [.int(delivery), .int(firm.id), .time(checkTime)])
        }
        #expect(try await Migrator.migrate(store.database) == [5])
        let log = try await store.webhookDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
        #expect(Set(log.compactMap(\.messageID)) == Set(messages.map(\.id)))
        #expect(log.flatMap(\.attempts).map(\.statusCode) == [500])
        let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
        #expect(claimed.count == 2)
        let payment = try await newPayment(store, firm: firm)
        _ = try await store.settlePayment(id: payment.id, outcome: .declined(resultCode: 1032, description: "cancelled"), now: checkTime)
        let all = try await store.webhookDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
        #expect(all.count == 3)
        #expect(all.first?.paymentID == payment.id)
        #expect((all.first?.id ?? 0) > (log.map(\.id).max() ?? .max))
    }
}
