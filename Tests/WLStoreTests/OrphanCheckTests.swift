import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// The orphan check every test store ends with (``TestDatabases/orphans(_:)``) finds a row whose parent is gone. On
/// PostgreSQL no foreign key refuses such a row (migration 16), so this is where it can be written.
@Suite(.enabled(if: TestDatabases.postgresURL != nil, "no PostgreSQL: set WLCOMM_TEST_POSTGRES_URL"))
struct OrphanCheckTests {
    @Test func anEventWhoseMessageIsGoneAndAnAttemptWhoseDeliveryIsGoneAreFound() async throws {
        try await TestDatabases.withPostgres { database in
            let store = SQLStore(database: database, secrets: conformanceSecrets)
            try await store.migrate()
            let firm = try await firmWithCredits(store, credits: 5)
            _ = try await smsBlast(store, firm: firm, count: 2)
            #expect(try await TestDatabases.orphans(store) == [])
            _ = try await database.transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO message_events (firm_id, message_id, sequence, event, status, response, occurred_at)
                    VALUES ($1, 999999, 1, 'queued', 'pending', 'Queued', 0)
                    """, [.int(firm.id)])
                try await connection.query(
                    """
                    INSERT INTO webhook_attempts (delivery_id, firm_id, attempt, started_at, latency_ms)
                    VALUES (999999, $1, 1, 0, 5), (999998, $1, 1, 0, 5)
                    """, [.int(firm.id)])
            }
            #expect(try await TestDatabases.orphans(store) == ["message_events.message_id: 1", "webhook_attempts.delivery_id: 2"])
        }
    }
}
