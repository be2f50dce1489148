import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// On SQLite a firm's messages to one person, or under one reference, are found through `messages_recipient` and
/// `messages_reference` (``Migration/lookupIndexes``), newest first, not by walking every message of the firm:
/// `GET /sms?recipient=…` on a firm with millions of messages read them all. Every listing reads a bounded window of
/// the firm's messages newest first through an index (``MessagePage``).
@Suite struct LookupPlanTests {
    func plan(_ store: SQLStore, firmID: Int64, _ filter: MessageFilter) async throws -> String {
        let (sql, binds) = SQLStore.messageListing(firmID: firmID, filter: filter, limit: 50, startingAfter: 9_000, window: 10_000, .sqlite)
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
            #expect(Self.onlyThePageIsSorted(recipient), "the index gives the window newest first: \(recipient)")
            let reference = try await plan(store, firmID: firm.id, MessageFilter(channel: .sms, reference: "ref-1"))
            #expect(reference.contains("USING INDEX messages_reference"), "\(reference)")
            #expect(Self.onlyThePageIsSorted(reference), "the index gives the window newest first: \(reference)")
            // A filter without an index of its own reads the firm's newest messages, up to the window.
            let status = try await plan(store, firmID: firm.id, MessageFilter(channel: .sms, status: .failed))
            #expect(status.contains("USING INDEX messages_firm (firm_id=? AND id<?)"), "\(status)")
            #expect(Self.onlyThePageIsSorted(status), "the index gives the window newest first: \(status)")
            // A blast's messages are read through its index, not found among the firm's by walking them all.
            let blast = try await plan(store, firmID: firm.id, MessageFilter(channel: .sms, blastID: "SMS-X"))
            #expect(blast.contains("USING INDEX messages_blast (blast_id=?") && !blast.contains("messages_firm"), "\(blast)")
            // The window is read as the page asks for rows (a co-routine), not gathered whole first; where it ends is
            // read from the index alone.
            #expect(status.contains("CO-ROUTINE w") && !status.contains("MATERIALIZE w"), "\(status)")
            #expect(status.contains("USING COVERING INDEX messages_firm (firm_id=? AND id<?)"), "\(status)")
        }
    }

    @Test func sqliteReadsAFirmsDeliveryLogThroughItsIndexNewestFirst() async throws {
        try await TestDatabases.withStore(.sqlite) { store in
            let firm = try await firmWithDeliveries(store, count: 3)
            let (sql, binds) = SQLStore.deliveryListing(
                firmID: firm.id, filter: WebhookDeliveryFilter(status: .failed), limit: 20, startingAfter: 9_000, window: 10_000)
            let plan = try await store.database.read { connection in
                try await connection.query("EXPLAIN QUERY PLAN \(sql)", binds).map { try $0.text("detail") }.joined(separator: "\n")
            }
            #expect(plan.contains("USING INDEX webhook_deliveries_firm (firm_id=? AND id<?)"), "\(plan)")
            #expect(plan.contains("CO-ROUTINE w") && !plan.contains("MATERIALIZE w"), "\(plan)")
            #expect(plan.contains("USING COVERING INDEX webhook_deliveries_firm (firm_id=? AND id<?)"), "\(plan)")
            #expect(Self.onlyThePageIsSorted(plan), "\(plan)")
            // A message's, a payment's or an event's deliveries are read through their own index, not found among the
            // firm's by walking its whole log.
            let named: [(WebhookDeliveryFilter, String)] = [
                (WebhookDeliveryFilter(messageID: 7), "webhook_deliveries_message (message_id=?)"),
                (WebhookDeliveryFilter(paymentID: 7), "webhook_deliveries_payment (payment_id=?)"),
                (WebhookDeliveryFilter(eventID: 7), "(event_id=?)"),
            ]
            for (filter, index) in named {
                let (sql, binds) = SQLStore.deliveryListing(firmID: firm.id, filter: filter, limit: 20, startingAfter: nil, window: 10_000)
                let plan = try await store.database.read { connection in
                    try await connection.query("EXPLAIN QUERY PLAN \(sql)", binds).map { try $0.text("detail") }.joined(separator: "\n")
                }
                #expect(plan.contains(index) && !plan.contains("webhook_deliveries_firm"), "\(plan)")
            }
        }
    }

    @Test func sqliteReadsTheAuditLinesOfSomeActionsThroughTheirIndex() async throws {
        try await TestDatabases.withStore(.sqlite) { store in
            let plan = try await store.database.read { connection in
                try await connection.query(
                    "EXPLAIN QUERY PLAN \(SQLStore.auditLines(actions: 2))", [.text("webhook.set"), .text("webhook.secret_rotate")]
                )
                .map { try $0.text("detail") }.joined(separator: "\n")
            }
            #expect(plan.contains("USING INDEX audit_log_action (action=?)"), "\(plan)")
        }
    }

    /// Whether the one sort of the plan is the last step: the page's rows (at most `limit + 1`) put in order, not the
    /// window's.
    static func onlyThePageIsSorted(_ plan: String) -> Bool {
        let sorts = plan.split(separator: "\n").filter { $0.contains("TEMP B-TREE") }
        return sorts.count == 1 && plan.hasSuffix("USE TEMP B-TREE FOR ORDER BY")
    }
}
