public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore {
    public func emailSettings(firmID: Int64) async throws -> EmailSettings {
        try await database.read { connection in
            guard
                let row = try await connection.query(
                    "SELECT email_from, email_from_name, email_reply_to, email_tracking FROM firms WHERE id = $1", [.int(firmID)]
                ).first
            else { throw DomainError(.notFound, "No firm with id \(firmID).") }
            return EmailSettings(
                from: try row.optionalText("email_from").flatMap(EmailAddress.init), fromName: try row.optionalText("email_from_name"),
                replyTo: try row.optionalText("email_reply_to").flatMap(EmailAddress.init), tracking: try row.int("email_tracking") != 0)
        }
    }

    public func setEmailSettings(firmID: Int64, _ settings: EmailSettings) async throws {
        try await write { connection in
            let updated = try await connection.query(
                """
                UPDATE firms SET email_from = $2, email_from_name = $3, email_reply_to = $4, email_tracking = $5 WHERE id = $1 RETURNING id
                """,
                [
                    .int(firmID), .text(settings.from?.value), .text(settings.fromName), .text(settings.replyTo?.value),
                    .int(settings.tracking ? 1 : 0),
                ])
            if updated.isEmpty { throw DomainError(.notFound, "No firm with id \(firmID).") }
        }
    }

    public func suppress(firmID: Int64, address: String, reason: String, now: Date) async throws {
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO email_suppressions (firm_id, address, reason, created_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (firm_id, address) DO NOTHING
                """, [.int(firmID), .text(address.lowercased()), .text(reason), .time(now)])
        }
    }

    public func suppressRecipient(ofMessage messageID: Int64, reason: String, now: Date) async throws {
        let share = database.dialect == .postgres ? " FOR SHARE" : ""
        try await write { connection in
            // Shared-locked: an erasure updating the row waits for this write (and then deletes what it wrote), or this
            // waits for the erasure and finds the recipient gone.
            guard
                let row = try await connection.query(
                    "SELECT firm_id, recipient FROM messages WHERE id = $1 AND channel = 'email' AND recipient <> $2\(share)",
                    [.int(messageID), .text(erasedRecipient)]
                ).first
            else { return }
            try await connection.query(
                """
                INSERT INTO email_suppressions (firm_id, address, reason, created_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (firm_id, address) DO NOTHING
                """, [.int(try row.int("firm_id")), .text(try row.text("recipient").lowercased()), .text(reason), .time(now)])
        }
    }

    public func suppressions(firmID: Int64) async throws -> [Suppression] {
        try await database.read { connection in
            try await connection.query(
                "SELECT address, reason, created_at FROM email_suppressions WHERE firm_id = $1 ORDER BY created_at, address", [.int(firmID)]
            ).map { Suppression(address: try $0.text("address"), reason: try $0.text("reason"), createdAt: try $0.time("created_at")) }
        }
    }

    public func removeSuppression(firmID: Int64, address: String) async throws -> Bool {
        try await write { connection in
            try await !connection.query(
                "DELETE FROM email_suppressions WHERE firm_id = $1 AND address = $2 RETURNING address", [.int(firmID), .text(address.lowercased())]
            ).isEmpty
        }
    }

    public func suppressed(firmID: Int64, among addresses: [String]) async throws -> Set<String> {
        guard !addresses.isEmpty else { return [] }
        return try await database.read { connection in
            var found: Set<String> = []
            var start = 0
            while start < addresses.count {
                let chunk = Array(addresses[start..<min(start + Self.insertBatch, addresses.count)])
                let placeholders = chunk.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
                for row in try await connection.query(
                    "SELECT address FROM email_suppressions WHERE firm_id = $1 AND address IN (\(placeholders))",
                    [.int(firmID)] + chunk.map { .text($0) })
                {
                    found.insert(try row.text("address"))
                }
                start += chunk.count
            }
            return found
        }
    }

    /// How often an email's opens (or clicks) may count: once a minute per message and kind.
    public static let engagementCountInterval: TimeInterval = 60

    public func recordEngagement(messageID: Int64, kind: EngagementKind, now: Date) async throws -> Engagement? {
        let (count, firstAt, countedAt) = kind == .open ? ("opens", "opened_at", "open_counted_at") : ("clicks", "clicked_at", "click_counted_at")
        return try await write(outbox: true) { connection in
            // A repeat open or click is only counted, at most once a minute: one update, no event (mail scanners fetch
            // links often, and a reloaded pixel must not inflate the counts).
            let repeated = try await connection.query(
                """
                UPDATE messages SET \(count) = \(count) + 1, \(countedAt) = $2, updated_at = $2
                WHERE id = $1 AND channel = 'email' AND \(firstAt) IS NOT NULL AND (\(countedAt) IS NULL OR \(countedAt) <= $3)
                    AND recipient <> $4
                RETURNING opens, clicks, opened_at, clicked_at
                """, [.int(messageID), .time(now), .time(now.addingTimeInterval(-Self.engagementCountInterval)), .text(erasedRecipient)])
            if let row = repeated.first { return try MessageRow.engagement(row) }
            guard
                let found = try await connection.query(
                    // An erased person's opens and clicks are not recorded: no count, no event, no webhook.
                    "SELECT \(MessageRow.columns) FROM messages WHERE id = $1 AND channel = 'email' AND recipient <> $2\(lockClause)",
                    [.int(messageID), .text(erasedRecipient)]
                ).first
            else { return nil }
            var row = try MessageRow(row: found)
            switch kind {
            case .open:
                // Seen already: counted within the last minute.
                if row.message.engagement.openedAt != nil { return row.message.engagement }
                row.message.engagement.opens += 1
                row.message.engagement.openedAt = now
            case .click:
                if row.message.engagement.clickedAt != nil { return row.message.engagement }
                row.message.engagement.clicks += 1
                row.message.engagement.clickedAt = now
            }
            try await row.recordEvent(
                kind == .open ? "communication.email.opened" : "communication.email.clicked", response: kind == .open ? "Opened" : "Clicked",
                on: connection, now: now)
            let engagement = row.message.engagement
            try await connection.query(
                """
                UPDATE messages SET opens = $2, clicks = $3, opened_at = $4, clicked_at = $5, event_sequence = $6, updated_at = $7,
                    \(countedAt) = $7
                WHERE id = $1
                """,
                [
                    .int(messageID), .int(Int64(engagement.opens)), .int(Int64(engagement.clicks)), .time(engagement.openedAt),
                    .time(engagement.clickedAt), .int(Int64(row.eventSequence)), .time(now),
                ])
            return engagement
        }
    }

    public func serviceSecret(_ name: String, candidate: String, now: Date) async throws -> String {
        try await write { connection in
            try await connection.query(
                "INSERT INTO service_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                [.text(name), .text(sealSecret(candidate)), .time(now)])
            let stored = try await connection.query("SELECT value FROM service_secrets WHERE name = $1", [.text(name)])[0].text("value")
            return try openSecret(stored, at: "service_secrets.value of \(name)")
        }
    }
}
