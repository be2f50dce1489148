public import Foundation
import WLDomain
public import WLPorts

extension SQLStore {
    public func claimWebhookDeliveries(
        limit: Int, owner: String, lease: TimeInterval, now: Date, excludingFirms: Set<Int64>
    ) async throws
        -> [WebhookDelivery]
    {
        let skipLocked = database.dialect == .postgres ? " FOR UPDATE OF d SKIP LOCKED" : ""
        // Excluded firm ids are integers we hold, written as literals so both queries keep their bind positions.
        let excluded = excludingFirms.isEmpty ? "" : " AND d.firm_id NOT IN (\(excludingFirms.sorted().map(String.init).joined(separator: ", ")))"
        let due = """
            d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1)
            AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries e WHERE e.message_id = d.message_id AND e.status = 'pending' AND e.sequence < d.sequence)
            AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries e WHERE e.payment_id = d.payment_id AND e.status = 'pending' AND e.sequence < d.sequence)
            AND d.firm_id IN (SELECT id FROM firms WHERE webhook_url IS NOT NULL AND webhook_disabled_at IS NULL)\(excluded)
            """
        let anyDue = try await database.read { connection in
            try await connection.query("SELECT d.id FROM webhook_deliveries d WHERE \(due) LIMIT 1", [.time(now)])
        }
        guard !anyDue.isEmpty else { return [] }
        return try await write { connection in
            let claimed = try await connection.query(
                """
                UPDATE webhook_deliveries SET lease_owner = $2, lease_until = $3
                WHERE id IN (SELECT d.id FROM webhook_deliveries d WHERE \(due) ORDER BY d.next_attempt_at, d.id LIMIT $4\(skipLocked))
                RETURNING id, firm_id, event_id, message_id, payment_event_id, payment_id, credit_event_id, attempts
                """, [.time(now), .text(owner), .time(now.addingTimeInterval(lease)), .int(Int64(limit))])
            guard !claimed.isEmpty else { return [] }
            let events = try await Self.byID(
                connection, "SELECT id, firm_id, message_id, sequence, event, status, response, occurred_at FROM message_events",
                ids: try claimed.compactMap { try $0.optionalInt("event_id") }, Self.event)
            let messages = try await Self.byID(
                connection, "SELECT \(MessageRow.columns) FROM messages", ids: try claimed.compactMap { try $0.optionalInt("message_id") }
            ) { try MessageRow(row: $0).message }
            let paymentEvents = try await Self.byID(
                connection, "SELECT \(Self.paymentEventColumns) FROM payment_events",
                ids: try claimed.compactMap { try $0.optionalInt("payment_event_id") }, Self.paymentEvent)
            let payments = try await Self.byID(
                connection, "SELECT \(Self.paymentColumns) FROM payments", ids: try claimed.compactMap { try $0.optionalInt("payment_id") },
                Self.payment)
            let creditEvents = try await Self.byID(
                connection, "SELECT \(Self.creditEventColumns) FROM credit_events",
                ids: try claimed.compactMap { try $0.optionalInt("credit_event_id") }, Self.creditEvent)
            let firms = try await Self.byID(
                connection, "SELECT id, webhook_url, webhook_secret, webhook_previous_secret, webhook_previous_secret_until, timezone FROM firms",
                ids: try claimed.map { try $0.int("firm_id") }
            ) { $0 }
            return try claimed.compactMap { row in
                let subject: WebhookSubject
                if let event = try row.optionalInt("event_id").flatMap({ events[$0] }),
                    let message = try row.optionalInt("message_id").flatMap({ messages[$0] })
                {
                    subject = .message(event, message)
                } else if let event = try row.optionalInt("payment_event_id").flatMap({ paymentEvents[$0] }),
                    let payment = try row.optionalInt("payment_id").flatMap({ payments[$0] })
                {
                    subject = .payment(event, payment)
                } else if let event = try row.optionalInt("credit_event_id").flatMap({ creditEvents[$0] }) {
                    subject = .credits(event)
                } else {
                    return nil
                }
                let firmID = try row.int("firm_id")
                guard let firm = firms[firmID], let url = try firm.optionalText("webhook_url") else { return nil }
                return WebhookDelivery(
                    id: try row.int("id"), firmID: firmID, attempts: Int(try row.int("attempts")), url: url,
                    secret: try openSecret(firm.optionalText("webhook_secret"), at: "firms.webhook_secret of firm \(firmID)"),
                    previousSecret: try firm.optionalTime("webhook_previous_secret_until").map { $0 > now } == true
                        ? try openSecret(firm.optionalText("webhook_previous_secret"), at: "firms.webhook_previous_secret of firm \(firmID)") : nil,
                    timezone: try firm.text("timezone"), subject: subject)
            }.sorted { $0.id < $1.id }
        }
    }

    /// Rows of `select` whose `id` is in `ids`, keyed by id.
    static func byID<T>(_ connection: any SQLConnection, _ select: String, ids: [Int64], _ transform: (SQLRow) throws -> T) async throws -> [Int64: T]
    {
        let unique = Array(Set(ids))
        var result: [Int64: T] = [:]
        var start = 0
        while start < unique.count {
            let chunk = Array(unique[start..<min(start + insertBatch, unique.count)])
            let placeholders = chunk.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
            for row in try await connection.query("\(select) WHERE id IN (\(placeholders))", chunk.map(SQLValue.int)) {
                result[try row.int("id")] = try transform(row)
            }
            start += chunk.count
        }
        return result
    }

    static func event(from row: SQLRow) throws -> MessageEvent {
        MessageEvent(
            id: try row.int("id"), firmID: try row.int("firm_id"), messageID: try row.int("message_id"), sequence: Int(try row.int("sequence")),
            event: try row.text("event"), status: try row.value("status", as: MessageStatus.self), response: try row.text("response"),
            occurredAt: try row.time("occurred_at"))
    }
}
