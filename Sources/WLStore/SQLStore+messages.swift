public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore {
    /// Rows per multi-row INSERT: 6 binds each stays well under both engines' bind limits.
    static let insertBatch = 500

    static let blastRows = SQLSet([
        ("id", .text), ("firm_id", .int), ("channel", .text), ("reference", .text), ("template", .text), ("subject", .text), ("send_at", .int),
        ("created_at", .int), ("category", .text),
    ])
    static let newMessageRows = SQLSet([
        ("blast_id", .text), ("recipient", .text), ("body", .text), ("segments", .int), ("encoding", .text), ("credits", .int), ("subject", .text),
    ])

    static func blastInsert(_ dialect: SQLDialect) -> String {
        """
        INSERT INTO blasts (id, firm_id, channel, reference, template, subject, send_at, created_at, category)
        SELECT v.id, v.firm_id, v.channel, v.reference, v.template, v.subject, v.send_at, v.created_at, v.category
        FROM \(blastRows.source(dialect, parameter: 1)) ORDER BY v.ord
        """
    }

    /// Everything a blast's messages share comes from the blast row `b` (`blastRows` names it).
    static func messageInsert(_ dialect: SQLDialect, blastRows: String, parameter: Int) -> String {
        """
        INSERT INTO messages (firm_id, blast_id, channel, reference, recipient, body, segments, encoding, credits,
            subject, status, response, stage, due_at, created_at, updated_at, category)
        SELECT b.firm_id, b.id, b.channel, b.reference, v.recipient, v.body, v.segments, v.encoding, v.credits, v.subject,
            'pending', 'Queued', 'queued', b.send_at, b.created_at, b.created_at, b.category
        FROM \(newMessageRows.source(dialect, parameter: parameter)) JOIN \(blastRows) ON b.id = v.blast_id ORDER BY v.ord
        RETURNING id, blast_id, recipient, firm_id
        """
    }

    /// The condition, on `messages`, that picks firm `$firm`'s messages to the person whose `LOWER(recipient)` is
    /// `$key`, through `messages_recipient` on SQLite and `message_recipients` on PostgreSQL
    /// (``Migration/lookupIndexes``). On PostgreSQL a semi-join, not `= ANY(ARRAY(…))`: with the table's statistics
    /// the planner may walk the firm's newest messages for a recipient on nearly every blast (a firm's own test
    /// number), where an array would fetch every message to the person before the page's few.
    static func recipientMatch(_ dialect: SQLDialect, firm: Int, key: Int) -> String {
        switch dialect {
        case .sqlite: "LOWER(recipient) = $\(key)"
        case .postgres: "id IN (SELECT message_id FROM message_recipients WHERE firm_id = $\(firm) AND recipient = $\(key))"
        }
    }

    /// The condition, on `messages`, that picks firm `$firm`'s messages under reference `$key`: through
    /// `messages_reference` on SQLite, through `blasts_reference` on PostgreSQL (``Migration/lookupIndexes``), as a
    /// semi-join for the same reason as ``recipientMatch(_:firm:key:)``.
    static func referenceMatch(_ dialect: SQLDialect, firm: Int, key: Int) -> String {
        switch dialect {
        case .sqlite: "reference = $\(key)"
        case .postgres: "blast_id IN (SELECT id FROM blasts WHERE firm_id = $\(firm) AND reference = $\(key))"
        }
    }

    /// PostgreSQL writes blasts (`$1`) and their messages (`$2`) in one statement: the messages join the blast rows it
    /// has just inserted, never the blasts table, which a generic plan made while the table was small read from start
    /// to end on every flush (``QueryPlanTests``).
    /// Each message's recipient goes into `message_recipients` in the same statement.
    static let blastsAndMessages = """
        WITH b AS (\(blastInsert(.postgres)) RETURNING id, firm_id, channel, reference, send_at, created_at, category),
        m AS (\(messageInsert(.postgres, blastRows: "b", parameter: 2))),
        r AS (INSERT INTO message_recipients (firm_id, recipient, message_id) SELECT firm_id, LOWER(recipient), id FROM m)
        SELECT id, blast_id, recipient FROM m
        """

    public func createBlasts(_ writes: [BlastWrite]) async throws -> [[Message]] {
        guard !writes.isEmpty else { return [] }
        let dialect = database.dialect
        let blasts = Self.blastRows.parameter(
            writes.map { write in
                let blast = write.blast
                return [
                    .text(blast.id), .int(blast.firmID), .text(blast.channel.rawValue), .text(blast.reference), .text(blast.template),
                    .text(blast.subject), .time(blast.sendAt), .time(write.now), .text(blast.category.rawValue),
                ]
            })
        let messages = Self.newMessageRows.parameter(
            writes.flatMap { write in
                write.messages.map { message in
                    [
                        .text(write.blast.id), .text(message.recipient), .text(message.body), .int(Int64(message.segments)), .text(message.encoding),
                        .int(message.credits.units), .text(message.subject),
                    ]
                }
            })
        let ids = try await write(duplicate: "That blast id already exists.") { connection in
            let rows: [SQLRow]
            switch dialect {
            case .postgres:
                rows = try await connection.query(Self.blastsAndMessages, [blasts, messages])
            case .sqlite:
                try await connection.query(Self.blastInsert(.sqlite), [blasts])
                rows = try await connection.query(Self.messageInsert(.sqlite, blastRows: "blasts b", parameter: 1), [messages])
            }
            var ids: [String: [String: Int64]] = [:]
            for row in rows {
                ids[try row.text("blast_id"), default: [:]][try row.text("recipient")] = try row.int("id")
            }
            return ids
        }
        return try writes.map { write in
            let blast = write.blast
            return try write.messages.map { new in
                guard let id = ids[blast.id]?[new.recipient] else { throw StoreError.corrupt("no id returned for a message") }
                var message = Message(
                    id: id, firmID: blast.firmID, blastID: blast.id, channel: blast.channel, reference: blast.reference,
                    recipient: new.recipient, body: new.body, segments: new.segments, encoding: new.encoding, credits: new.credits,
                    status: .pending, response: "Queued", network: nil, stage: .queued, attempts: 0, dueAt: blast.sendAt,
                    providerMessageID: nil, createdAt: write.now, sentAt: nil, deliveredAt: nil)
                message.subject = new.subject
                message.category = blast.category
                return message
            }
        }
    }

    public func blastTemplates(ids: Set<String>) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        let ids = Array(ids)
        return try await database.read { connection in
            var found: [String: String] = [:]
            var start = 0
            while start < ids.count {
                let chunk = ids[start..<min(start + Self.insertBatch, ids.count)]
                let placeholders = chunk.indices.map { "$\($0 - start + 1)" }.joined(separator: ", ")
                for row in try await connection.query("SELECT id, template FROM blasts WHERE id IN (\(placeholders))", chunk.map { .text($0) }) {
                    found[try row.text("id")] = try row.text("template")
                }
                start += chunk.count
            }
            return found
        }
    }

    public func message(firmID: Int64, id: Int64) async throws -> Message? {
        try await database.read { connection in
            try await connection.query(
                "SELECT \(MessageRow.columns) FROM messages WHERE id = $1 AND firm_id = $2", [.int(id), .int(firmID)]
            ).first.map { try MessageRow(row: $0).message }
        }
    }

    public func messagePage(firmID: Int64, filter: MessageFilter, limit: Int, startingAfter: Int64?) async throws -> MessagePage {
        let (sql, binds) = Self.messageListing(
            firmID: firmID, filter: filter, limit: limit, startingAfter: startingAfter, window: listingWindow, database.dialect)
        let rows = try await database.read { connection in try await connection.query(sql, binds) }
        let matched = try rows.filter { try $0.optionalInt("id") != nil }.map { try MessageRow(row: $0).message }
        return MessagePage(
            messages: Array(matched.prefix(limit)), nextStartingAfter: try Self.nextStartingAfter(rows, matched: matched.map(\.id), limit: limit))
    }

    /// The statement and binds of a page of a firm's messages, newest first (``MessagePage``), through
    /// ``windowedPage(table:windowColumns:found:kept:window:limit:binds:columns:rows:order:)``: the window is the
    /// firm's messages that the indexed filters find (`blast_id`, a recipient through ``recipientMatch(_:firm:key:)``,
    /// a reference through ``referenceMatch(_:firm:key:)``), and the page keeps those of the channel, status, category
    /// and dates asked for.
    static func messageListing(
        firmID: Int64, filter: MessageFilter, limit: Int, startingAfter: Int64?, window: Int, _ dialect: SQLDialect
    ) -> (String, [SQLValue]) {
        var binds: [SQLValue] = [.int(firmID)]
        func bind(_ value: SQLValue) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        // `+firm_id` for a blast: SQLite, which keeps no statistics, would otherwise walk the firm's messages newest
        // first through `messages_firm` (for its order) and test each for the blast, instead of reading the blast's.
        var found = [filter.blastID == nil ? "firm_id = $1" : "+firm_id = $1"]
        if let value = filter.blastID { found.append("blast_id = \(bind(.text(value)))") }
        if let value = filter.reference {
            found.append(referenceMatch(dialect, firm: 1, key: binds.count + 1))
            _ = bind(.text(value))
        }
        if let value = filter.recipient {
            found.append(recipientMatch(dialect, firm: 1, key: binds.count + 1))
            _ = bind(.text(value.lowercased()))
        }
        if let value = startingAfter { found.append("id < \(bind(.int(value)))") }
        var kept = ["channel = \(bind(.text(filter.channel.rawValue)))"]
        if let value = filter.status { kept.append("status = \(bind(.text(value.rawValue)))") }
        if let value = filter.category { kept.append("category = \(bind(.text(value.rawValue)))") }
        if let value = filter.createdFrom { kept.append("created_at >= \(bind(.time(value)))") }
        if let value = filter.createdTo { kept.append("created_at < \(bind(.time(value)))") }
        let sql = windowedPage(
            table: "messages", windowColumns: "channel, status, category, created_at", found: found, kept: kept, window: window, limit: limit,
            binds: &binds, columns: MessageRow.names.map { "m.\($0) AS \($0)" }.joined(separator: ", "),
            rows: "page JOIN messages m ON m.id = page.id", order: "m.id DESC")
        return (sql, binds)
    }

    public func events(firmID: Int64, messageID: Int64) async throws -> [MessageEvent] {
        try await database.read { connection in
            try await connection.query(
                """
                SELECT id, firm_id, message_id, sequence, event, status, response, occurred_at FROM message_events
                WHERE firm_id = $1 AND message_id = $2 ORDER BY sequence
                """, [.int(firmID), .int(messageID)]
            ).map(Self.event)
        }
    }

    public func cancelMessage(firmID: Int64, id: Int64, now: Date) async throws -> Message {
        let lock = lockClause
        let dialect = database.dialect
        return try await write(outbox: true) { connection in
            guard
                let found = try await connection.query(
                    "SELECT \(MessageRow.columns) FROM messages WHERE id = $1 AND firm_id = $2\(lock)", [.int(id), .int(firmID)]
                ).first
            else { throw DomainError(.notFound, "No message \(id).") }
            let state = try MessageRow(row: found).state
            if DispatchRules.isCancelled(state.message) { return state.message }
            guard DispatchRules.isCancellable(state, now: now) else {
                throw DomainError(
                    .conflict,
                    "Message \(id) has begun sending (status \(state.message.status.rawValue)); it can no longer be cancelled.")
            }
            return try await Self.cancel([state], dialect: dialect, on: connection, now: now)[0]
        }
    }

    public func cancelBlast(firmID: Int64, blastID: String, channel: Channel, now: Date) async throws -> BlastCancellation {
        let lock = lockClause
        let dialect = database.dialect
        return try await write(outbox: true) { connection in
            let rows = try await connection.query(
                "SELECT \(MessageRow.columns) FROM messages WHERE blast_id = $1 AND firm_id = $2 AND channel = $3 ORDER BY id\(lock)",
                [.text(blastID), .int(firmID), .text(channel.rawValue)])
            guard !rows.isEmpty else { throw DomainError(.notFound, "No blast \(blastID).") }
            let states = try rows.map { try MessageRow(row: $0).state }
            let cancellable = states.filter { DispatchRules.isCancellable($0, now: now) }
            let already = states.count(where: { DispatchRules.isCancelled($0.message) })
            let result = BlastCancellation(
                cancelled: cancellable.count, alreadyCancelled: already, notCancellable: states.count - cancellable.count - already)
            if result.cancelled == 0 && result.alreadyCancelled == 0 {
                throw DomainError(.conflict, "Every message of this blast has begun sending; none can be cancelled.")
            }
            _ = try await Self.cancel(cancellable, dialect: dialect, on: connection, now: now)
            return result
        }
    }

    /// `FOR NO KEY UPDATE` on PostgreSQL (the lock an `UPDATE` takes: unlike `FOR UPDATE` it lets concurrent inserts
    /// check their foreign keys to the row); nothing on SQLite, whose single writer already serialises transactions.
    var lockClause: String { database.dialect == .postgres ? " FOR NO KEY UPDATE" : "" }

    /// Cancels these locked, cancellable messages: a failure "Cancelled" that charged nothing, decided by
    /// ``DispatchRules`` and written set-based like every other status change.
    static func cancel(_ states: [DispatchState], dialect: SQLDialect, on connection: any SQLConnection, now: Date) async throws -> [Message] {
        try await applyOutcomes(
            states.map { ($0.message.id, .fail(response: cancelledResponse, refund: false)) },
            to: Dictionary(uniqueKeysWithValues: states.map { ($0.message.id, $0) }), leaseOwner: nil, dialect: dialect, on: connection, now: now)
    }
}
