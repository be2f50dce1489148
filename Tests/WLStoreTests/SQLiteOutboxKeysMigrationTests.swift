import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// Migration 21 rebuilds SQLite's webhook tables with partial indexes of the payment and credit columns: every row
/// and link survives, no id is given out twice (not even the id of a delivery deleted before the upgrade), the keys
/// stay unique, and the webhook claim still finds a payment's deliveries through its index.
@Suite struct SQLiteOutboxKeysMigrationTests {
    @Test func theRebuildKeepsRowsIdsAndUniquenessAndIndexesOnlyTheIdsThatAreSet() async throws {
        try await TestDatabases.withSQLite { database in
            let store = SQLStore(database: database)
            try await Migrator.migrate(database, migrations: Migration.all.filter { $0.version < 21 })
            let firm = try await firmWithCredits(store, credits: 10)
            _ = try await database.transaction { connection in
                try await connection.query("UPDATE firms SET webhook_url = 'https://a.example/hook', webhook_secret = 's'", [])
            }
            _ = try await smsBlast(store, firm: firm, count: 3)
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime) { batch in
                batch.messages.map { ($0.id, .charge) }
            }
            let before = try await deliveries(database)
            #expect(before.count == 3)
            let last = try #require(before.last)
            _ = try await database.transaction { connection in
                try await connection.query("DELETE FROM webhook_deliveries WHERE id = $1", [.int(last.id)])
            }

            #expect(try await Migrator.migrate(database) == Migration.all.map(\.version).filter { $0 >= 21 })

            #expect(try await deliveries(database) == Array(before.dropLast()))
            let schema = try await database.read { connection in
                try await connection.query("SELECT sql FROM sqlite_master WHERE name = 'webhook_deliveries'", []).first?.text("sql")
            }
            #expect(schema?.contains("payment_event_id BIGINT REFERENCES") == true)
            let indexes = try await database.read { connection in
                try await connection.query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'webhook_deliveries'", [])
                    .map { (try $0.text("name"), try $0.optionalText("sql") ?? "") }
            }
            let byName = Dictionary(uniqueKeysWithValues: indexes)
            #expect(byName["webhook_deliveries_payment_event"]?.hasSuffix("WHERE payment_event_id IS NOT NULL") == true)
            #expect(byName["webhook_deliveries_credit_event"]?.hasSuffix("WHERE credit_event_id IS NOT NULL") == true)
            #expect(
                Set(byName.keys).isSuperset(of: [
                    "webhook_deliveries_message", "webhook_deliveries_payment", "webhook_deliveries_created", "webhook_deliveries_pending_firm",
                ]))
            #expect(byName["webhook_deliveries_payment"]?.hasSuffix("WHERE payment_id IS NOT NULL") == true)
            // The claim's test for an earlier pending delivery of the same payment still looks it up in that index.
            let plan = try await database.read { connection in
                try await connection.query("EXPLAIN QUERY PLAN \(SQLStore.dueDeliveries(.sqlite))", (1...5).map { .int(Int64($0)) })
                    .map { try $0.text("detail") }
            }
            #expect(plan.contains { $0.contains("USING INDEX webhook_deliveries_payment (payment_id=? AND sequence<?)") }, "\(plan)")
            let checks = try await database.read { connection in
                (
                    try await connection.query("PRAGMA integrity_check", []).first?.text("integrity_check"),
                    try await connection.query("PRAGMA foreign_key_check", []).count
                )
            }
            #expect(checks.0 == "ok" && checks.1 == 0)

            // The next delivery's id follows the deleted one's.
            let delivered = DeliveryReport(status: .delivered, response: "Success", network: nil)
            let recorded = try await store.record(
                [(before[0].messageID, .submitted(providerMessageID: "P-1", report: delivered))], leaseOwner: "w", now: checkTime)
            #expect(recorded.count == 1)
            let after = try await deliveries(database)
            #expect(after.count == 3)
            #expect(try #require(after.last).id > last.id)
            // A payment event's delivery is written once; a second row for the same event is refused.
            let payment = try await newPayment(store, firm: firm)
            _ = try await store.settlePayment(id: payment.id, outcome: .declined(resultCode: 1032, description: "cancelled"), now: checkTime)
            let paymentDelivery = try await database.read { connection in
                try await connection.query(
                    "SELECT payment_event_id FROM webhook_deliveries WHERE payment_id = $1", [.int(payment.id)]
                ).first?.int("payment_event_id")
            }
            let event = try #require(paymentDelivery)
            let duplicate = await #expect(throws: StoreError.self) {
                try await database.transaction { connection in
                    try await connection.query(
                        """
                        INSERT INTO webhook_deliveries (firm_id, payment_event_id, payment_id, sequence, status, next_attempt_at, created_at)
                        VALUES ($1, $2, $3, 9, 'pending', 0, 0)
                        """, [.int(firm.id), .int(event), .int(payment.id)])
                }
            }
            if case .uniqueViolation = duplicate {} else { Issue.record("expected uniqueViolation, got \(String(describing: duplicate))") }
        }
    }

    /// The webhook deliveries' ids, message ids and event ids, in id order.
    private func deliveries(_ database: SQLiteDatabase) async throws -> [Delivery] {
        try await database.read { connection in
            try await connection.query("SELECT id, message_id, event_id FROM webhook_deliveries ORDER BY id", []).map {
                Delivery(id: try $0.int("id"), messageID: try $0.int("message_id"), eventID: try $0.int("event_id"))
            }
        }
    }

    private struct Delivery: Equatable {
        var id: Int64
        var messageID: Int64
        var eventID: Int64
    }
}
