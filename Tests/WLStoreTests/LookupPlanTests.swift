import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// On SQLite a firm's messages to one person, or under one reference, are found through `messages_recipient` and
/// `messages_reference` (``Migration/lookupIndexes``), newest first, not by walking every message of the firm:
/// `GET /sms?recipient=…` on a firm with millions of messages read them all.
@Suite struct LookupPlanTests {
    func plan(_ store: SQLStore, firmID: Int64, _ filter: MessageFilter) async throws -> String {
        let (sql, binds) = SQLStore.messageListing(firmID: firmID, filter: filter, limit: 50, startingAfter: 9_000, .sqlite)
        return try await store.database.read { connection in
            try await connection.query("EXPLAIN QUERY PLAN \(sql)", binds).map { try $0.text("detail") }.joined(separator: "\n")
        }
    }

    @Test func sqliteFindsAPersonsMessagesAndAReferencesThroughTheirIndexesNewestFirst() async throws {
        try await TestDatabases.withStore(.sqlite) { store in
            let firm = try await firmWithCredits(store, credits: 10)
            _ = try await smsBlast(store, firm: firm, count: 3)
            let recipient = try await plan(store, firmID: firm.id, MessageFilter(channel: .sms, recipient: "254700100001"))
            #expect(recipient.contains("USING INDEX messages_recipient"), "\(recipient)")
            #expect(!recipient.contains("TEMP B-TREE"), "the index gives the newest first: \(recipient)")
            let reference = try await plan(store, firmID: firm.id, MessageFilter(channel: .sms, reference: "ref-1"))
            #expect(reference.contains("USING INDEX messages_reference"), "\(reference)")
            #expect(!reference.contains("TEMP B-TREE"), "the index gives the newest first: \(reference)")
        }
    }
}
