import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// Redaction finds what it has left to empty through the partial indexes of ``Migration/unredactedIndexes``, so a
/// pass does not read every message older than the retention period again (on SQLite while holding the writer).
@Suite struct RedactionPlanTests {
    func plan(_ store: SQLStore, _ sql: String) async throws -> String {
        try await store.database.read { connection in
            try await connection.query("EXPLAIN QUERY PLAN \(sql)", [.time(checkTime), .int(10)]).map { try $0.text("detail") }
                .joined(separator: "\n")
        }
    }

    @Test func sqliteRedactionReadsOnlyTheRowsThatStillHoldText() async throws {
        try await TestDatabases.withStore(.sqlite) { store in
            let firm = try await firmWithCredits(store, credits: 10)
            _ = try await smsBlast(store, firm: firm, count: 3)
            let messages = try await plan(store, SQLStore.redactMessages)
            #expect(messages.contains("USING INDEX messages_unredacted"), "\(messages)")
            let blasts = try await plan(store, SQLStore.redactBlasts)
            #expect(blasts.contains("USING INDEX blasts_unredacted"), "\(blasts)")
        }
    }
}
