import Foundation
import WLDomain

/// A message row with the queue's bookkeeping that the domain's ``Message`` does not show.
struct MessageRow: Sendable {
    var message: Message
    /// Credits actually debited (for refunds).
    var charged: Credits
    var leaseUntil: Date?
    var leaseOwner: String?
    /// The last event's sequence number.
    var eventSequence: Int

    static let columns = """
        id, firm_id, blast_id, channel, reference, recipient, body, segments, encoding, credits, charged, status, response, \
        network, stage, attempts, due_at, lease_until, lease_owner, provider_message_id, event_sequence, created_at, sent_at, delivered_at, \
        subject, opens, clicks, opened_at, clicked_at, category
        """

    init(row: SQLRow) throws {
        message = Message(
            id: try row.int("id"), firmID: try row.int("firm_id"), blastID: try row.text("blast_id"),
            channel: try row.value("channel", as: Channel.self), reference: try row.optionalText("reference"),
            recipient: try row.text("recipient"), body: try row.text("body"), segments: Int(try row.int("segments")),
            encoding: try row.text("encoding"), credits: Credits(units: try row.int("credits")),
            status: try row.value("status", as: MessageStatus.self), response: try row.text("response"),
            network: try row.optionalText("network"), stage: try row.value("stage", as: DispatchStage.self),
            attempts: Int(try row.int("attempts")), dueAt: try row.time("due_at"),
            providerMessageID: try row.optionalText("provider_message_id"), createdAt: try row.time("created_at"),
            sentAt: try row.optionalTime("sent_at"), deliveredAt: try row.optionalTime("delivered_at"))
        message.subject = try row.optionalText("subject")
        message.engagement = try Self.engagement(row)
        message.category = try row.value("category", as: SMSCategory.self)
        charged = Credits(units: try row.int("charged"))
        leaseUntil = try row.optionalTime("lease_until")
        leaseOwner = try row.optionalText("lease_owner")
        eventSequence = Int(try row.int("event_sequence"))
    }

    /// What the dispatch rules work on.
    var state: DispatchState {
        DispatchState(message: message, charged: charged, leaseOwner: leaseOwner, leaseUntil: leaseUntil, eventSequence: eventSequence)
    }

    /// Writes an event of the message at its current status and, for a firm with a working webhook, its delivery
    /// (the outbox), in the caller's transaction. The caller saves the row (its event sequence moved).
    mutating func recordEvent(_ event: String, response: String, on connection: any SQLConnection, now: Date) async throws {
        eventSequence += 1
        let inserted = try await connection.query(
            """
            INSERT INTO message_events (firm_id, message_id, sequence, event, status, response, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """,
            [
                .int(message.firmID), .int(message.id), .int(Int64(eventSequence)), .text(event), .text(message.status.rawValue),
                .text(response), .time(now),
            ])
        try await connection.query(
            """
            INSERT INTO webhook_deliveries (firm_id, event_id, message_id, sequence, status, next_attempt_at, created_at)
            SELECT id, $2, $3, $4, 'pending', $5, $5 FROM firms
            WHERE id = $1 AND webhook_url IS NOT NULL AND webhook_disabled_at IS NULL
            """,
            [.int(message.firmID), .int(try inserted[0].int("id")), .int(message.id), .int(Int64(eventSequence)), .time(now)])
    }
}

extension MessageRow {
    /// The `opens`, `clicks`, `opened_at` and `clicked_at` columns of `row`.
    static func engagement(_ row: SQLRow) throws -> Engagement {
        Engagement(
            opens: Int(try row.int("opens")), clicks: Int(try row.int("clicks")), openedAt: try row.optionalTime("opened_at"),
            clickedAt: try row.optionalTime("clicked_at"))
    }
}
