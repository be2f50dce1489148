import Foundation
import Testing
import WLDomain
import WLPorts

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

    /// Builds a version-4 database with raw SQL (today's store code writes columns that version 4 lacks): a firm with
    /// a webhook, two cancelled messages whose events are queued for it, and one recorded attempt.
    static func upgrade(_ store: SQLStore) async throws {
        let beforePayments = Array(Migration.all.prefix(while: { $0.version < 5 }))
        try await Migrator.migrate(store.database, migrations: beforePayments)
        let now = SQLValue.time(checkTime)
        let messageIDs = try await store.database.transaction { connection in
            let firm = try await connection.query(
                """
                INSERT INTO firms (slug, name, status, sms_credits, sms_rate_cents, timezone, mode, created_at, webhook_url, webhook_secret)
                VALUES ('acme', 'Acme', 'active', 0, 180, 'Africa/Nairobi', 'live', $1, 'https://a.example/hook', 's') RETURNING id
                """, [now])[0].int("id")
            try await connection.query(
                "INSERT INTO blasts (id, firm_id, channel, template, send_at, created_at) VALUES ('SMS-OLD', $1, 'sms', 'Hi', $2, $2)",
                [.int(firm), now])
            var ids: [Int64] = []
            for index in 0..<2 {
                let message = try await connection.query(
                    """
                    INSERT INTO messages (firm_id, blast_id, channel, recipient, body, segments, encoding, credits, status, response, stage,
                        due_at, event_sequence, created_at, updated_at)
                    VALUES ($1, 'SMS-OLD', 'sms', $2, 'Hi', 1, 'GSM-7', 10000, 'failed', 'Cancelled', 'done', $3, 1, $3, $3) RETURNING id
                    """, [.int(firm), .text("25470010000\(index)"), now])[0].int("id")
                let event = try await connection.query(
                    """
                    INSERT INTO message_events (firm_id, message_id, sequence, event, status, response, occurred_at)
                    VALUES ($1, $2, 1, 'communication.sms.failed', 'failed', 'Cancelled', $3) RETURNING id
                    """, [.int(firm), .int(message), now])[0].int("id")
                let delivery = try await connection.query(
                    """
                    INSERT INTO webhook_deliveries (firm_id, event_id, message_id, sequence, status, next_attempt_at, created_at)
                    VALUES ($1, $2, $3, 1, 'pending', $4, $4) RETURNING id
                    """, [.int(firm), .int(event), .int(message), now])[0].int("id")
                if index == 0 {
                    try await connection.query(
                        """
                        INSERT INTO webhook_attempts (delivery_id, firm_id, attempt, started_at, status_code, latency_ms)
                        VALUES ($1, $2, 1, $3, 500, 7)
                        """, [.int(delivery), .int(firm), now])
                }
                ids.append(message)
            }
            return ids
        }
        #expect(try await Migrator.migrate(store.database) == Migration.all.map(\.version).filter { $0 >= 5 })
        let firm = try #require(try await store.firm(slug: "acme"))
        let log = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
        #expect(Set(log.compactMap(\.messageID)) == Set(messageIDs))
        #expect(log.flatMap(\.attempts).map(\.statusCode) == [500])
        let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
        #expect(claimed.count == 2)
        let payment = try await newPayment(store, firm: firm)
        _ = try await store.settlePayment(id: payment.id, outcome: .declined(resultCode: 1032, description: "cancelled"), now: checkTime)
        let all = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
        #expect(all.count == 3)
        #expect(all.first?.paymentID == payment.id)
        #expect((all.first?.id ?? 0) > (log.map(\.id).max() ?? .max))
        #expect(try await store.message(firmID: firm.id, id: messageIDs[0])?.status == .failed)
        // Messages written before migration 26 are found by recipient (PostgreSQL copies them into its table of recipients).
        let toSecond = MessageFilter(channel: .sms, recipient: "254700100001")
        #expect(try await store.firstPageMessages(firmID: firm.id, filter: toSecond, limit: 10, startingAfter: nil).map(\.id) == [messageIDs[1]])
    }
}
