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

    /// The columns a message is read from, in ``Column`` order.
    static let names = [
        "id", "firm_id", "blast_id", "channel", "reference", "recipient", "body", "segments", "encoding", "credits", "charged", "status",
        "response", "network", "stage", "attempts", "due_at", "lease_until", "lease_owner", "provider_message_id", "event_sequence",
        "created_at", "sent_at", "delivered_at", "subject", "opens", "clicks", "opened_at", "clicked_at", "category",
    ]
    /// ``names`` for a `SELECT` list.
    static let columns = names.joined(separator: ", ")
    /// ``names`` as a result's columns: a row of exactly these is decoded by position.
    static let layout = SQLColumns(names)

    /// Each column's position in ``names``.
    enum Column: Int, CaseIterable {
        case id, firmID, blastID, channel, reference, recipient, body, segments, encoding, credits, charged, status, response, network, stage
        case attempts, dueAt, leaseUntil, leaseOwner, providerMessageID, eventSequence, createdAt, sentAt, deliveredAt, subject, opens
        case clicks, openedAt, clickedAt, category
    }

    /// Decodes a row with ``names`` among its columns; reads each by its position when they are the row's columns in
    /// that order (every `SELECT` of ``columns``), which spares hashing thirty names per row of a batch.
    init(row: SQLRow) throws {
        let row = try row.arranged(as: Self.layout)
        typealias C = Column
        message = Message(
            id: try row.int(at: C.id.rawValue), firmID: try row.int(at: C.firmID.rawValue), blastID: try row.text(at: C.blastID.rawValue),
            channel: try row.value(at: C.channel.rawValue, as: Channel.self), reference: try row.optionalText(at: C.reference.rawValue),
            recipient: try row.text(at: C.recipient.rawValue), body: try row.text(at: C.body.rawValue),
            segments: Int(try row.int(at: C.segments.rawValue)), encoding: try row.text(at: C.encoding.rawValue),
            credits: Credits(units: try row.int(at: C.credits.rawValue)), status: try row.value(at: C.status.rawValue, as: MessageStatus.self),
            response: try row.text(at: C.response.rawValue), network: try row.optionalText(at: C.network.rawValue),
            stage: try row.value(at: C.stage.rawValue, as: DispatchStage.self), attempts: Int(try row.int(at: C.attempts.rawValue)),
            dueAt: try row.time(at: C.dueAt.rawValue), providerMessageID: try row.optionalText(at: C.providerMessageID.rawValue),
            createdAt: try row.time(at: C.createdAt.rawValue), sentAt: try row.optionalTime(at: C.sentAt.rawValue),
            deliveredAt: try row.optionalTime(at: C.deliveredAt.rawValue))
        message.subject = try row.optionalText(at: C.subject.rawValue)
        message.engagement = Engagement(
            opens: Int(try row.int(at: C.opens.rawValue)), clicks: Int(try row.int(at: C.clicks.rawValue)),
            openedAt: try row.optionalTime(at: C.openedAt.rawValue), clickedAt: try row.optionalTime(at: C.clickedAt.rawValue))
        message.category = try row.value(at: C.category.rawValue, as: SMSCategory.self)
        charged = Credits(units: try row.int(at: C.charged.rawValue))
        leaseUntil = try row.optionalTime(at: C.leaseUntil.rawValue)
        leaseOwner = try row.optionalText(at: C.leaseOwner.rawValue)
        eventSequence = Int(try row.int(at: C.eventSequence.rawValue))
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
