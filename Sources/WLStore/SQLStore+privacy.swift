public import Foundation
import WLDomain
public import WLPorts

extension SQLStore: PrivacyStore {
    /// The most messages to the person one erasure transaction takes: a person sent to a million times is erased in
    /// bounded steps, each releasing the database (SQLite's one writer) to everyone else between them.
    public static let erasureBatch = 1_000

    public func erase(firmID: Int64, subject: DataSubject, now: Date) async throws -> ErasureSummary {
        try await erase(firmID: firmID, subject: subject, now: now, batch: Self.erasureBatch)
    }

    /// ``erase(firmID:subject:now:)`` in transactions of at most `batch` of the person's messages each, then one for
    /// the rest of the person's records. A conflict (a message being sent) ends it with the steps before committed; a
    /// retry finishes the work, as the messages already erased no longer match.
    public func erase(firmID: Int64, subject: DataSubject, now: Date, batch: Int) async throws -> ErasureSummary {
        let value = Self.recipientKey(subject)
        var summary = ErasureSummary()
        while true {
            let step = try await eraseMessages(firmID: firmID, value: value, now: now, batch: max(1, batch))
            summary.cancelled += step.cancelled
            summary.messages += step.messages
            if step.found < max(1, batch) { break }
        }
        let rest = try await eraseRecords(firmID: firmID, subject: subject, value: value, now: now)
        summary.contacts = rest.contacts
        summary.payments = rest.payments
        summary.optOuts = rest.optOuts
        summary.suppressions = rest.suppressions
        summary.idempotencyRecords = rest.idempotencyRecords
        return summary
    }

    /// The ids of one erasure step: firm `$1`'s oldest `$3` messages to `$2` not erased yet (an erased one no longer
    /// matches: its recipient is `[erased]`, and on PostgreSQL its `message_recipients` row is gone).
    static func erasureStep(_ dialect: SQLDialect) -> String {
        "SELECT id FROM messages WHERE firm_id = $1 AND \(recipientMatch(dialect, firm: 1, key: 2)) ORDER BY id LIMIT $3"
    }

    /// Erases up to `batch` of the firm's messages to `value` (the oldest not yet erased) in one transaction, calling
    /// off those still waiting first. `found`: how many it took.
    private func eraseMessages(
        firmID: Int64, value: String, now: Date, batch: Int
    ) async throws -> (found: Int, cancelled: Int, messages: Int) {
        let dialect = database.dialect
        let lock = lockClause
        return try await write(outbox: true) { connection in
            let ids = try await connection.query(Self.erasureStep(dialect), [.int(firmID), .text(value), .int(Int64(batch))])
                .map { [SQLValue.int(try $0.int("id"))] }
            guard !ids.isEmpty else { return (0, 0, 0) }
            let inBatch = Self.idRows.matches("id", dialect, parameter: 1)
            let rows = try await connection.query(
                "SELECT \(MessageRow.columns) FROM messages WHERE \(inBatch) AND stage <> 'done' ORDER BY id\(lock)", [Self.idRows.parameter(ids)])
            let open = try rows.map { try MessageRow(row: $0).state }
            let waiting = open.filter { DispatchRules.isCancellable($0, now: now) }
            // Charged but idle (waiting to retry, or held for quiet hours): called off and refunded, rather than
            // refusing the erasure until the retry or the morning.
            let charged = open.filter { DispatchRules.isChargedAndIdle($0, now: now) }
            if open.contains(where: {
                ($0.message.stage == .queued || $0.message.stage == .charged)
                    && !DispatchRules.isCancellable($0, now: now) && !DispatchRules.isChargedAndIdle($0, now: now)
            }) {
                throw DomainError(.conflict, "A message to this person is being sent right now; try the erasure again in a minute.")
            }
            var cancelled = try await Self.cancel(waiting, dialect: dialect, on: connection, now: now).count
            cancelled += try await Self.applyOutcomes(
                charged.map { ($0.message.id, .fail(response: cancelledResponse, refund: true)) },
                to: Dictionary(uniqueKeysWithValues: charged.map { ($0.message.id, $0) }), leaseOwner: nil, dialect: dialect, on: connection,
                now: now
            ).count
            // A relay's refusal may quote the address ("550 5.1.1 <jane@example.com>: Recipient address rejected"), in
            // the message's response and its events': the recipient, as written, is taken out of both.
            let written = try await connection.query(
                "SELECT DISTINCT recipient FROM messages WHERE \(inBatch)", [Self.idRows.parameter(ids)]
            ).map { try $0.text("recipient") }
            for address in written {
                try await connection.query(
                    #"""
                    UPDATE message_events SET response = REPLACE(response, $2, $3)
                    WHERE firm_id = $1 AND response LIKE $4 ESCAPE '\'
                        AND \#(Self.idRows.matches("message_id", dialect, parameter: 5))
                    """#,
                    [.int(firmID), .text(address), .text(erasedRecipient), .text("%" + Self.likeEscaped(address) + "%"), Self.idRows.parameter(ids)])
            }
            let erased = try await connection.query(
                """
                UPDATE messages SET recipient = $2, body = '', subject = NULL, response = REPLACE(response, recipient, $2), updated_at = $3
                WHERE \(inBatch) RETURNING id
                """, [Self.idRows.parameter(ids), .text(erasedRecipient), .time(now)]
            ).map { [SQLValue.int(try $0.int("id"))] }
            if dialect == .postgres {
                // The messages just erased, not every row under the key: a send to the person committed since the
                // update keeps its recipient, so it keeps its row.
                try await connection.query(
                    "DELETE FROM message_recipients WHERE firm_id = $1 AND recipient = $2 AND \(Self.idRows.matches("message_id", dialect, parameter: 3))",
                    [.int(firmID), .text(value), Self.idRows.parameter(erased)])
            }
            // A blast whose every message went to erased people (a single send, typically) keeps their text as its
            // template and subject: emptied too. A blast with anyone else among its recipients keeps its own.
            try await connection.query(
                """
                UPDATE blasts SET template = '', subject = NULL
                WHERE firm_id = $1 AND (template <> '' OR subject IS NOT NULL)
                    AND id IN (SELECT blast_id FROM messages WHERE \(Self.idRows.matches("id", dialect, parameter: 3)))
                    AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blast_id = blasts.id AND m.recipient <> $2)
                """, [.int(firmID), .text(erasedRecipient), Self.idRows.parameter(erased)])
            return (ids.count, cancelled, erased.count)
        }
    }

    /// Deletes or empties the person's records other than messages, in one transaction.
    private func eraseRecords(firmID: Int64, subject: DataSubject, value: String, now: Date) async throws -> ErasureSummary {
        try await write { connection in
            var summary = ErasureSummary()
            let contactColumn = subject.isPhone ? "phone" : "LOWER(email)"
            summary.contacts = try await connection.query(
                "DELETE FROM contacts WHERE firm_id = $1 AND \(contactColumn) = $2 RETURNING id", [.int(firmID), .text(value)]
            ).count
            switch subject {
            case .phone(let digits):
                summary.payments = try await connection.query(
                    "UPDATE payments SET phone = $3, updated_at = $4 WHERE firm_id = $1 AND phone = $2 RETURNING id",
                    [.int(firmID), .text(digits), .text(erasedRecipient), .time(now)]
                ).count
                summary.optOuts = try await connection.query(
                    "DELETE FROM sms_opt_outs WHERE firm_id = $1 AND phone = $2 RETURNING phone", [.int(firmID), .text(digits)]
                ).count
            case .email(let address):
                summary.suppressions = try await connection.query(
                    "DELETE FROM email_suppressions WHERE firm_id = $1 AND LOWER(address) = $2 RETURNING address", [.int(firmID), .text(address)]
                ).count
            }
            // A stored answer may name the person in any form the client sent (`+254 712-345…`): match the part every
            // form shares, spaces and dashes left out of a number (not of an address, where a dash is part of it).
            // `%` and `_` are legal in an address: escaped, so `%@example.com` cannot match everyone's answers.
            // The answer is blanked, not deleted: the key still answers a retry (with its status and this body), so a
            // retry after an erasure never does the request again (a second blast to everyone else on it).
            let body = subject.isPhone ? "REPLACE(REPLACE(LOWER(response_body), ' ', ''), '-', '')" : "LOWER(response_body)"
            summary.idempotencyRecords = try await connection.query(
                #"""
                UPDATE idempotency_keys SET response_body = CASE WHEN response_status < 400 THEN $3 ELSE $4 END
                WHERE firm_id = $1 AND \#(body) LIKE $2 ESCAPE '\' RETURNING key
                """#,
                [
                    .int(firmID), .text("%" + Self.likeEscaped(subject.searchFragment) + "%"), .text(Self.erasedAnswer),
                    .text(Self.erasedErrorAnswer),
                ]
            ).count
            return summary
        }
    }

    /// What a stored answer that named an erased person says from then on (its status is kept): a retry with its
    /// `Idempotency-Key` gets this, and the request is not done again.
    public static let erasedAnswer =
        #"{"data":null,"message":"This answer named a person whose data was erased on request. The request was done; it is not done again.","status":"success"}"#
    /// The same for a stored error answer (4xx).
    public static let erasedErrorAnswer =
        #"{"code":"erased","message":"This answer named a person whose data was erased on request. The request is not done again.","status":"error"}"#

    /// The most messages one export holds: the person's newest, so one request cannot read without bound.
    static let exportedMessageLimit = 10_000

    public func personalData(firmID: Int64, subject: DataSubject) async throws -> PersonalDataExport {
        let value = Self.recipientKey(subject)
        let toSubject = Self.recipientMatch(database.dialect, firm: 1, key: 2)
        return try await database.read { connection in
            var export = PersonalDataExport()
            let contactColumn = subject.isPhone ? "phone" : "LOWER(email)"
            export.contacts = try await connection.query(
                "SELECT \(Self.contactColumns) FROM contacts WHERE firm_id = $1 AND \(contactColumn) = $2 ORDER BY id", [.int(firmID), .text(value)]
            ).map(Self.contact)
            // Newest first to pick them, then back in the order they were sent.
            export.messages = try await connection.query(
                "SELECT \(MessageRow.columns) FROM messages WHERE firm_id = $1 AND \(toSubject) ORDER BY id DESC LIMIT $3",
                [.int(firmID), .text(value), .int(Int64(Self.exportedMessageLimit))]
            ).map { try MessageRow(row: $0).message }.reversed()
            switch subject {
            case .phone(let digits):
                export.optOut = try await connection.query(
                    "SELECT phone, source, created_at FROM sms_opt_outs WHERE firm_id = $1 AND phone = $2", [.int(firmID), .text(digits)]
                ).first.map { row in
                    OptOut(
                        phone: try row.text("phone"), source: try row.value("source", as: OptOutSource.self), createdAt: try row.time("created_at"))
                }
                export.payments = try await connection.query(
                    "SELECT \(Self.paymentColumns) FROM payments WHERE firm_id = $1 AND phone = $2 ORDER BY id", [.int(firmID), .text(digits)]
                ).map(Self.payment)
            case .email(let address):
                export.emailSuppressed = try await !connection.query(
                    "SELECT address FROM email_suppressions WHERE firm_id = $1 AND LOWER(address) = $2", [.int(firmID), .text(address)]
                ).isEmpty
            }
            return export
        }
    }

    public func redactMessageBodies(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        try await write { connection in
            try await connection.query(Self.redactMessages, [.time(cutoff), .int(Int64(limit))]).count
        }
    }

    public func redactBlastTexts(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        try await write { connection in
            try await connection.query(Self.redactBlasts, [.time(cutoff), .int(Int64(limit))]).count
        }
    }

    /// Empties up to `$2` final messages created before `$1` that still hold text, found through
    /// `messages_unredacted` (``Migration/unredactedIndexes``).
    static let redactMessages = """
        UPDATE messages SET body = '', subject = NULL WHERE id IN (
            SELECT id FROM messages WHERE created_at < $1 AND stage = 'done' AND (body <> '' OR subject IS NOT NULL)
            LIMIT $2)
        RETURNING id
        """

    /// Empties up to `$2` blasts created before `$1` that still hold text and whose messages are all final, found
    /// through `blasts_unredacted`.
    static let redactBlasts = """
        UPDATE blasts SET template = '', subject = NULL WHERE id IN (
            SELECT b.id FROM blasts b WHERE b.created_at < $1 AND (b.template <> '' OR b.subject IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blast_id = b.id AND m.stage <> 'done')
            LIMIT $2)
        RETURNING id
        """

    /// `text` as a `LIKE … ESCAPE '\'` pattern that matches only itself: `\`, `%` and `_` escaped.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// What `LOWER(recipient)` equals for `subject`'s messages (``recipientMatch(_:firm:key:)``): a number's digits
    /// (their own lower case), or the lower-case address.
    private static func recipientKey(_ subject: DataSubject) -> String {
        switch subject {
        case .phone(let digits): digits
        case .email(let address): address.lowercased()
        }
    }
}

extension DataSubject {
    var isPhone: Bool {
        if case .phone = self { true } else { false }
    }

    /// What every written form of the subject contains: the nine subscriber digits of a number (`712345678` in
    /// `0712…`, `254712…` and `+254 712…`), or the lower-case address.
    var searchFragment: String {
        switch self {
        case .phone(let digits): String(digits.suffix(9))
        case .email(let address): address.lowercased()
        }
    }
}
