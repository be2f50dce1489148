public import Foundation
import WLDomain
public import WLPorts

extension SQLStore {
    public func webhookDeliveries(
        firmID: Int64, filter: WebhookDeliveryFilter, limit: Int, startingAfter: Int64?
    ) async throws
        -> [WebhookDeliveryRecord]
    {
        try await database.read { connection in
            var conditions = ["d.firm_id = $1"]
            var binds: [SQLValue] = [.int(firmID)]
            func add(_ condition: String, _ value: SQLValue) {
                binds.append(value)
                conditions.append(condition.replacingOccurrences(of: "?", with: "$\(binds.count)"))
            }
            if let value = filter.eventID { add("d.event_id = ?", .int(value)) }
            if let value = filter.messageID { add("d.message_id = ?", .int(value)) }
            if let value = filter.paymentID { add("d.payment_id = ?", .int(value)) }
            if let value = filter.status { add("d.status = ?", .text(value.rawValue)) }
            if let value = startingAfter { add("d.id < ?", .int(value)) }
            binds.append(.int(Int64(limit)))
            let rows = try await connection.query(
                """
                SELECT \(Self.deliveryColumns) FROM \(Self.deliveryJoin)
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY d.id DESC LIMIT $\(binds.count)
                """, binds)
            return try await Self.deliveryRecords(rows, on: connection)
        }
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
        d.id, COALESCE(d.event_id, d.payment_event_id, d.credit_event_id) AS event_id, d.message_id, d.payment_id, d.sequence, d.status, d.next_attempt_at, \
        d.created_at, d.completed_at, d.attempts, COALESCE(e.event, p.event, c.event) AS event
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
