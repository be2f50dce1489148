public import Foundation
import WLDomain
public import WLPorts

extension SQLStore {
    public func webhookDeliveryPage(
        firmID: Int64, filter: WebhookDeliveryFilter, limit: Int, startingAfter: Int64?
    ) async throws -> WebhookDeliveryPage {
        let (sql, binds) = Self.deliveryListing(firmID: firmID, filter: filter, limit: limit, startingAfter: startingAfter, window: listingWindow)
        return try await database.read { connection in
            let rows = try await connection.query(sql, binds)
            let matched = try await Self.deliveryRecords(try rows.filter { try $0.optionalInt("id") != nil }, on: connection)
            return WebhookDeliveryPage(
                deliveries: Array(matched.prefix(limit)),
                nextStartingAfter: try Self.nextStartingAfter(rows, matched: matched.map(\.id), limit: limit))
        }
    }

    /// The statement and binds of a page of a firm's delivery log, newest first (``WebhookDeliveryPage``), through
    /// ``windowedPage(table:windowColumns:found:kept:window:limit:binds:columns:rows:order:)``: the window is the
    /// firm's deliveries (through `webhook_deliveries_firm`, or a message's, a payment's or an event's through their
    /// own indexes), and the page keeps those of the status asked for.
    static func deliveryListing(
        firmID: Int64, filter: WebhookDeliveryFilter, limit: Int, startingAfter: Int64?, window: Int
    ) -> (String, [SQLValue]) {
        var binds: [SQLValue] = [.int(firmID)]
        func bind(_ value: SQLValue) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        // `+firm_id` when a message, payment or event is named: SQLite would otherwise walk the firm's whole log
        // through `webhook_deliveries_firm` (for its order) and test each delivery, instead of reading the few of it.
        let named = filter.messageID != nil || filter.paymentID != nil || filter.eventID != nil
        var found = [named ? "+firm_id = $1" : "firm_id = $1"]
        if let value = filter.messageID { found.append("message_id = \(bind(.int(value)))") }
        if let value = filter.paymentID { found.append("payment_id = \(bind(.int(value)))") }
        if let value = filter.eventID { found.append("event_id = \(bind(.int(value)))") }
        if let value = startingAfter { found.append("id < \(bind(.int(value)))") }
        var kept: [String] = []
        if let value = filter.status { kept.append("status = \(bind(.text(value.rawValue)))") }
        let sql = windowedPage(
            table: "webhook_deliveries", windowColumns: "status", found: found, kept: kept, window: window, limit: limit,
            binds: &binds, columns: deliveryColumns, rows: "page JOIN (\(deliveryJoin)) ON d.id = page.id", order: "d.id DESC")
        return (sql, binds)
    }

    public func redeliverWebhook(firmID: Int64, deliveryID: Int64, now: Date) async throws -> WebhookDeliveryRecord {
        // The delivery is locked as it is read (PostgreSQL), so retention cannot delete it between the read and the
        // update; and should it be gone anyway, the answer is 404, not a trap.
        let lock = database.dialect == .postgres ? " FOR NO KEY UPDATE OF d" : ""
        return try await write { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT d.status, f.webhook_url, f.webhook_disabled_at FROM webhook_deliveries d JOIN firms f ON f.id = d.firm_id
                    WHERE d.id = $1 AND d.firm_id = $2\(lock)
                    """, [.int(deliveryID), .int(firmID)]
                ).first
            else { throw DomainError(.notFound, "No webhook delivery \(deliveryID).") }
            guard try row.text("status") != WebhookDeliveryStatus.pending.rawValue else {
                throw DomainError(.conflict, "Delivery \(deliveryID) is still pending; it will be attempted on its schedule.")
            }
            guard try row.optionalText("webhook_url") != nil, try row.optionalInt("webhook_disabled_at") == nil else {
                throw DomainError(.conflict, "The webhook endpoint is unset or disabled; set it again first.")
            }
            try await connection.query(
                """
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, completed_at = NULL, lease_owner = NULL,
                    lease_until = NULL
                WHERE id = $1
                """, [.int(deliveryID), .time(now)])
            let rows = try await connection.query(
                """
                SELECT \(Self.deliveryColumns) FROM \(Self.deliveryJoin) WHERE d.id = $1
                """, [.int(deliveryID)])
            guard let record = try await Self.deliveryRecords(rows, on: connection).first else {
                throw DomainError(.notFound, "No webhook delivery \(deliveryID).")
            }
            return record
        }
    }

    /// A delivery with its event's id and name, whichever kind of event it carries.
    static let deliveryColumns = """
        d.id AS id, COALESCE(d.event_id, d.payment_event_id, d.credit_event_id) AS event_id, d.message_id AS message_id, \
        d.payment_id AS payment_id, d.sequence AS sequence, d.status AS status, d.next_attempt_at AS next_attempt_at, \
        d.created_at AS created_at, d.completed_at AS completed_at, d.attempts AS attempts, COALESCE(e.event, p.event, c.event) AS event
        """
    static let deliveryJoin = """
        webhook_deliveries d LEFT JOIN message_events e ON e.id = d.event_id LEFT JOIN payment_events p ON p.id = d.payment_event_id \
        LEFT JOIN credit_events c ON c.id = d.credit_event_id
        """

    /// Delivery records with their newest attempts, in the order of `rows`. A delivery's attempts are numbered 1, 2, …
    /// as they are recorded (`webhook_deliveries.attempts` is the last number), so the newest are those past
    /// `attempts - shownAttempts`, read from `webhook_attempts_delivery` whatever the delivery's history.
    static func deliveryRecords(_ rows: [SQLRow], on connection: any SQLConnection) async throws -> [WebhookDeliveryRecord] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.int("id") }
        let placeholders = ids.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        var attempts: [Int64: [WebhookAttempt]] = [:]
        for row in try await connection.query(
            """
            SELECT a.delivery_id, a.attempt, a.started_at, a.status_code, a.latency_ms, a.error
            FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id AND a.attempt > d.attempts - $\(ids.count + 1)
            WHERE d.id IN (\(placeholders)) ORDER BY a.delivery_id, a.attempt
            """, ids.map(SQLValue.int) + [.int(Int64(WebhookDeliveryRecord.shownAttempts))])
        {
            attempts[try row.int("delivery_id"), default: []].append(
                WebhookAttempt(
                    attempt: Int(try row.int("attempt")), startedAt: try row.time("started_at"),
                    statusCode: try row.optionalInt("status_code").map(Int.init), latencyMilliseconds: Int(try row.int("latency_ms")),
                    error: try row.optionalText("error")))
        }
        return try rows.map { row in
            let status = try row.value("status", as: WebhookDeliveryStatus.self)
            return WebhookDeliveryRecord(
                id: try row.int("id"), eventID: try row.int("event_id"), messageID: try row.optionalInt("message_id"),
                paymentID: try row.optionalInt("payment_id"), event: try row.text("event"),
                sequence: Int(try row.int("sequence")), status: status,
                nextAttemptAt: status == .pending ? try row.time("next_attempt_at") : nil, createdAt: try row.time("created_at"),
                completedAt: try row.optionalTime("completed_at"), attempts: attempts[try row.int("id")] ?? [],
                attemptCount: Int(try row.int("attempts")))
        }
    }
}
