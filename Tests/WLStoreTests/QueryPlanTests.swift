import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// PostgreSQL finds the rows a batch names, and the earlier deliveries a webhook claim waits for, through their
/// indexes, whatever its statistics say. A plan that reads a whole table per batch, or the whole backlog per
/// delivery, slowed the dispatcher as tables grew and once stalled the webhook deliverer (see
/// ``Migration/waitingDeliveries``).
@Suite(.enabled(if: TestDatabases.postgresURL != nil, "no PostgreSQL: set WLCOMM_TEST_POSTGRES_URL"))
struct QueryPlanTests {
    /// PostgreSQL's plans for `sql`: the one made for `binds` and the generic one a prepared statement may keep (the
    /// stalled claim ran one), one line per node.
    func plans(_ store: SQLStore, _ sql: String, _ binds: [SQLValue]) async throws -> [String] {
        try await store.database.transaction { connection in
            var plans: [String] = []
            for mode in ["force_custom_plan", "force_generic_plan"] {
                try await connection.query("SET LOCAL plan_cache_mode = \(mode)")
                plans.append(try await connection.query("EXPLAIN \(sql)", binds).map { try $0.text("QUERY PLAN") }.joined(separator: "\n"))
            }
            return plans
        }
    }

    /// Expects both of PostgreSQL's plans for `sql` to go through `index` and neither to read `table` whole.
    func expectPlans(
        _ store: SQLStore, _ sql: String, _ binds: [SQLValue], use index: String, notScanning table: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        for found in try await plans(store, sql, binds) {
            #expect(found.contains(index), "\(found)", sourceLocation: sourceLocation)
            #expect(!found.contains("Seq Scan on \(table)"), "\(found)", sourceLocation: sourceLocation)
        }
    }

    @Test func aBatchOfMessagesIsReadThroughThePrimaryKeyFromATableOfThousands() async throws {
        try await TestDatabases.withStore(.postgres) { store in
            let firm = try await firmWithCredits(store, "acme", credits: 5)
            let messages = try await smsBlast(store, firm: firm, count: 3_000)
            _ = try await store.database.transaction { try await $0.query("ANALYZE messages") }
            let batch = messages.suffix(60).map { [SQLValue.int($0.id)] }
            let sql = "SELECT id FROM messages WHERE \(SQLStore.idRows.matches("id", .postgres, parameter: 1)) ORDER BY id"
            for found in try await plans(store, sql, [SQLStore.idRows.parameter(batch)]) {
                #expect(found.contains("using messages_pkey on messages"), "\(found)")
                #expect(!found.contains("Seq Scan on messages"), "\(found)")
            }
        }
    }

    /// Statistics taken while the blasts table was nearly empty made the generic plan of a join of bound messages to
    /// `blasts` read the whole table on every flush; the one statement joins the rows it inserts instead.
    @Test func aBlastsMessagesNeverReadTheBlastsTable() async throws {
        try await TestDatabases.withStore(.postgres) { store in
            let firm = try await firmWithCredits(store, "acme", credits: 5)
            _ = try await smsBlast(store, firm: firm, count: 2)
            _ = try await store.database.transaction { try await $0.query("ANALYZE blasts") }
            let blast = [
                SQLValue.text(NewBlast.makeID(for: .sms, at: checkTime)), .int(firm.id), .text("sms"), .null, .text("Hi"), .null, .time(checkTime),
                .time(checkTime), .text("transactional"),
            ]
            let message = [blast[0], .text("254711000001"), .text("Hi"), .int(1), .text("GSM-7"), .int(100), .null]
            let binds = [SQLStore.blastRows.parameter([blast]), SQLStore.newMessageRows.parameter([message])]
            for found in try await plans(store, SQLStore.blastsAndMessages, binds) {
                #expect(found.contains("Insert on blasts"), "\(found)")
                #expect(!found.contains("Scan on blasts") && !found.contains("blasts_pkey"), "\(found)")
            }
        }
    }

    @Test func theWebhookClaimLooksEarlierDeliveriesUpWhenStatisticsSayNothingIsPending() async throws {
        try await TestDatabases.withStore(.postgres) { store in
            // Statistics taken when every delivery had succeeded, then a burst of new ones. Automatic ANALYZE would
            // see the burst (300 rows are over its threshold) and leave nothing stale to test.
            _ = try await store.database.transaction { try await $0.query("ALTER TABLE webhook_deliveries SET (autovacuum_enabled = false)") }
            _ = try await firmWithDeliveries(store, "early", count: 300)
            let claimed = try await store.claimWebhookDeliveries(limit: 300, owner: "w", lease: 60, now: checkTime)
            let done = try await store.recordWebhookAttempts(claimed.map { attempt($0.id, .succeeded, status: 200) }, leaseOwner: "w")
            #expect(done.count == 300)
            _ = try await store.database.transaction { try await $0.query("ANALYZE webhook_deliveries") }
            let firm = try await firmWithDeliveries(store, "burst", count: 300)
            let binds: [SQLValue] = [.time(checkTime), .text("w"), .time(checkTime), .int(64), .int(firm.id)]
            for found in try await plans(store, SQLStore.dueDeliveries(.postgres), binds) {
                #expect(found.contains("using webhook_deliveries_message_waiting"), "\(found)")
                #expect(found.contains("using webhook_deliveries_payment_waiting"), "\(found)")
            }
        }
    }

    @Test func aFirmsDeliveryLogIsReadThroughItsIndexAmongAnotherFirmsThousands() async throws {
        try await TestDatabases.withStore(.postgres) { store in
            _ = try await firmWithDeliveries(store, "busy", count: 3_000)
            let quiet = try await firmWithDeliveries(store, "quiet", count: 3)
            _ = try await store.database.transaction { try await $0.query("ANALYZE webhook_deliveries") }
            let (sql, binds) = SQLStore.deliveryListing(
                firmID: quiet.id, filter: WebhookDeliveryFilter(status: .failed), limit: 20, startingAfter: nil, window: 10_000)
            for found in try await plans(store, sql, binds) {
                #expect(found.contains("using webhook_deliveries_firm on webhook_deliveries"), "\(found)")
                #expect(!found.contains("Seq Scan on webhook_deliveries"), "\(found)")
                #expect(found.components(separatedBy: "Sort Key").count == 2, "one sort, the page's: \(found)")
            }
        }
    }

    @Test func aPersonsMessagesAndAReferencesAreReadThroughTheirIndexesFromAFirmOfThousands() async throws {
        try await TestDatabases.withStore(.postgres) { store in
            let firm = try await firmWithCredits(store, "acme", credits: 5)
            _ = try await smsBlast(store, firm: firm, count: 3_000)
            _ = try await store.database.transaction { connection in
                try await connection.query("ANALYZE messages")
                try await connection.query("ANALYZE message_recipients")
            }
            // An erasure step reads the person's messages the same way.
            let step: [SQLValue] = [.int(firm.id), .text("254700101234"), .int(Int64(SQLStore.erasureBatch))]
            try await expectPlans(store, SQLStore.erasureStep(.postgres), step, use: "message_recipients_pkey", notScanning: "messages")
            let filter = MessageFilter(channel: .sms, recipient: "254700101234")
            let (sql, binds) = SQLStore.messageListing(firmID: firm.id, filter: filter, limit: 50, startingAfter: nil, window: 10_000, .postgres)
            for found in try await plans(store, sql, binds) {
                #expect(found.contains("using message_recipients_pkey on message_recipients"), "\(found)")
                #expect(!found.contains("Seq Scan on messages"), "\(found)")
            }
            // 3,000 more sends, each its own blast under its own reference (an order number, say).
            _ = try await store.database.transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO blasts (id, firm_id, channel, reference, template, send_at, created_at)
                    SELECT 'order-blast-' || g, $1, 'sms', 'order-' || g, 'Hi', 0, 0 FROM generate_series(1, 3000) g
                    """, [.int(firm.id)])
                try await connection.query(
                    """
                    INSERT INTO messages (firm_id, blast_id, channel, reference, recipient, body, segments, encoding, credits, status,
                        response, stage, due_at, created_at, updated_at)
                    SELECT $1, 'order-blast-' || g, 'sms', 'order-' || g, '2547002' || LPAD(g::text, 5, '0'), 'Hi', 1, 'GSM-7', 100,
                        'delivered', 'Success', 'done', 0, 0, 0
                    FROM generate_series(1, 3000) g
                    """, [.int(firm.id)])
                try await connection.query(
                    """
                    INSERT INTO message_recipients (firm_id, recipient, message_id)
                    SELECT firm_id, LOWER(recipient), id FROM messages WHERE blast_id LIKE 'order-blast-%'
                    """)
                try await connection.query("ANALYZE blasts")
                try await connection.query("ANALYZE message_recipients")
                try await connection.query("ANALYZE messages")
            }
            let byReference = SQLStore.messageListing(
                firmID: firm.id, filter: MessageFilter(channel: .sms, reference: "order-1234"), limit: 50, startingAfter: nil, window: 10_000,
                .postgres)
            for found in try await plans(store, byReference.0, byReference.1) {
                #expect(found.contains("using blasts_reference on blasts"), "\(found)")
                #expect(found.contains("using messages_blast on messages"), "\(found)")
                #expect(!found.contains("Seq Scan on messages"), "\(found)")
            }
            // A filter without an index of its own reads the firm's newest messages through an index, newest first,
            // only as far as the page needs (no sort of the window), and where the window ends from an index too.
            let byStatus = SQLStore.messageListing(
                firmID: firm.id, filter: MessageFilter(channel: .sms, status: .failed), limit: 50, startingAfter: 4_000, window: 10_000,
                .postgres)
            for found in try await plans(store, byStatus.0, byStatus.1) {
                #expect(!found.contains("Seq Scan on messages"), "\(found)")
                #expect(found.components(separatedBy: "Sort Key").count == 2, "one sort, the page's: \(found)")
            }
        }
    }

    @Test func theStartUpAuditRewriteReadsOnlyTheWebhookLinesThroughTheActionIndex() async throws {
        try await TestDatabases.withStore(.postgres) { store in
            _ = try await store.database.transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO audit_log (at, actor, actor_role, firm_id, action, detail, client_address, request_id)
                    SELECT 0, 'owner@acme.co.ke', 'owner', NULL, CASE WHEN g <= 2 THEN 'webhook.set' ELSE 'user.sign_in' END, '', '', ''
                    FROM generate_series(1, 3000) g
                    """)
                try await connection.query("ANALYZE audit_log")
            }
            let binds: [SQLValue] = [.text("webhook.set"), .text("webhook.secret_rotate")]
            try await expectPlans(store, SQLStore.auditLines(actions: binds.count), binds, use: "audit_log_action", notScanning: "audit_log")
        }
    }

    @Test func redactionReadsOnlyTheRowsThatStillHoldTextAmongThousandsDone() async throws {
        try await TestDatabases.withStore(.postgres) { store in
            let firm = try await firmWithCredits(store, "acme", credits: 5)
            _ = try await smsBlast(store, firm: firm, count: 3_000)
            _ = try await store.database.transaction { connection in
                // All final, all but three already emptied: what a long-running instance's tables look like.
                try await connection.query(
                    "UPDATE messages SET stage = 'done', status = 'delivered', body = CASE WHEN id % 1000 = 0 THEN body ELSE '' END")
                try await connection.query("UPDATE blasts SET template = ''")
                try await connection.query(
                    """
                    INSERT INTO blasts (id, firm_id, channel, reference, template, send_at, created_at)
                    SELECT 'old-blast-' || g, $1, 'sms', NULL, CASE WHEN g % 1000 = 0 THEN 'Hi' ELSE '' END, 0, 0 FROM generate_series(1, 3000) g
                    """, [.int(firm.id)])
                try await connection.query("ANALYZE messages")
                try await connection.query("ANALYZE blasts")
            }
            let binds: [SQLValue] = [.time(checkTime.addingTimeInterval(86_400)), .int(10)]
            try await expectPlans(store, SQLStore.redactMessages, binds, use: "messages_unredacted", notScanning: "messages")
            try await expectPlans(store, SQLStore.redactBlasts, binds, use: "blasts_unredacted", notScanning: "blasts")
        }
    }
}
