import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// Migration 24 gives an endpoint that is failing at the upgrade the time of its last failed attempt, so its run of
/// failures goes on instead of starting again; a healthy endpoint keeps none.
@Suite struct WebhookLastFailureMigrationTests {
    @Test func anEndpointFailingAtTheUpgradeTakesItsLastFailedAttemptsTime() async throws {
        try await TestDatabases.withSQLite { database in
            let store = SQLStore(database: database)
            try await Migrator.migrate(database, migrations: Migration.all.filter { $0.version < 24 })
            let failing = try await firmWithCredits(store, "failing", credits: 10)
            let healthy = try await firmWithCredits(store, "healthy", credits: 10)
            _ = try await database.transaction { connection in
                try await connection.query("UPDATE firms SET webhook_url = 'https://a.example/hook', webhook_secret = 's'", [])
            }
            for firm in [failing, healthy] { _ = try await smsBlast(store, firm: firm, count: 1) }
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime) { batch in
                batch.messages.map { ($0.id, .charge) }
            }
            let start = Int64(checkTime.timeIntervalSince1970 * 1000)
            _ = try await database.transaction { connection in
                // The failing firm: a failure, a later failure without an answer, then nothing; the healthy one: a
                // success after a failure.
                let attempts: [(String, Int64, Int64?)] = [
                    ("failing", start, 500), ("failing", start + 3_600_000, nil), ("healthy", start, 503), ("healthy", start + 60_000, 200),
                ]
                for (slug, at, status) in attempts {
                    try await connection.query(
                        """
                        INSERT INTO webhook_attempts (delivery_id, firm_id, attempt, started_at, status_code, latency_ms, error)
                        SELECT d.id, d.firm_id, 1, $2, $3, 5, NULL FROM webhook_deliveries d JOIN firms f ON f.id = d.firm_id
                        WHERE f.slug = $1 LIMIT 1
                        """, [.text(slug), .int(at), .int(status)])
                }
                try await connection.query("UPDATE firms SET webhook_failing_since = $1 WHERE slug = 'failing'", [.int(start)])
            }

            #expect(try await Migrator.migrate(database) == Migration.all.map(\.version).filter { $0 >= 24 })

            let lastFailures = try await database.read { connection in
                try await connection.query("SELECT slug, webhook_last_failure_at FROM firms ORDER BY slug", []).map {
                    (try $0.text("slug"), try $0.optionalInt("webhook_last_failure_at"))
                }
            }
            #expect(lastFailures.map(\.0) == ["failing", "healthy"])
            #expect(lastFailures.map(\.1) == [start + 3_600_000, nil])
        }
    }
}
