public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore: ConsoleStore {
    private static let userColumns =
        "id, email, role, firm_id, password_hash, failed_sign_ins, locked_until, created_at, last_sign_in_at"

    public func createUser(_ user: NewConsoleUser, now: Date) async throws -> ConsoleUser {
        if let firmID = user.firmID, try await firm(id: firmID) == nil { throw DomainError(.notFound, "No firm \(firmID).") }
        let lock = database.dialect == .postgres ? " FOR NO KEY UPDATE" : ""
        return try await write(duplicate: "A user with the email \(user.email) already exists.") { connection in
            if let firmID = user.firmID, let most = user.firmUsersAtMost {
                // The firm's row is locked first (SQLite's one writer does the same), so two invitations at once count
                // one after the other.
                _ = try await connection.query("SELECT id FROM firms WHERE id = $1\(lock)", [.int(firmID)])
                let users =
                    try await connection.query("SELECT count(*) AS n FROM console_users WHERE firm_id = $1", [.int(firmID)]).first?.int("n") ?? 0
                guard users < most else {
                    throw DomainError(.conflict, "A firm may have at most \(most) console users; remove one it no longer needs first.")
                }
            }
            let rows = try await connection.query(
                """
                INSERT INTO console_users (email, role, firm_id, password_hash, created_at, invite_token_hash, invite_expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING \(Self.userColumns)
                """,
                [
                    .text(user.email), .text(user.role.rawValue), .int(user.firmID), .text(user.passwordHash), .time(now),
                    .text(user.invitation?.tokenHash), .time(user.invitation?.expiresAt),
                ])
            return try Self.consoleUser(rows[0])
        }
    }

    public func acceptInvitation(tokenHash: String, passwordHash: String, now: Date) async throws -> ConsoleUser? {
        try await write { connection in
            try await connection.query(
                """
                UPDATE console_users SET password_hash = $2, invite_token_hash = NULL, invite_expires_at = NULL
                WHERE invite_token_hash = $1 AND invite_expires_at > $3 RETURNING \(Self.userColumns)
                """, [.text(tokenHash), .text(passwordHash), .time(now)]
            ).first.map(Self.consoleUser)
        }
    }

    public func invitationIsOpen(tokenHash: String, now: Date) async throws -> Bool {
        try await database.read { connection in
            try await !connection.query(
                "SELECT id FROM console_users WHERE invite_token_hash = $1 AND invite_expires_at > $2", [.text(tokenHash), .time(now)]
            ).isEmpty
        }
    }

    public func user(email: String) async throws -> ConsoleUser? {
        try await database.read { connection in
            try await connection.query("SELECT \(Self.userColumns) FROM console_users WHERE email = $1", [.text(email)])
                .first.map(Self.consoleUser)
        }
    }

    public func users(firmID: Int64?) async throws -> [ConsoleUser] {
        try await database.read { connection in
            try await connection.query(
                "SELECT \(Self.userColumns) FROM console_users WHERE $1 = 0 OR firm_id = $2 ORDER BY id",
                [.int(firmID == nil ? 0 : 1), .int(firmID ?? 0)]
            ).map(Self.consoleUser)
        }
    }

    public func recordFailedSignIn(userID: Int64, lock: @escaping @Sendable (Int) -> Date?) async throws -> ConsoleUser {
        try await write { connection in
            let counted = try await connection.query(
                "UPDATE console_users SET failed_sign_ins = failed_sign_ins + 1 WHERE id = $1 RETURNING failed_sign_ins",
                [.int(userID)])
            guard let row = counted.first else { throw DomainError(.notFound, "No user \(userID).") }
            let lockedUntil = lock(Int(try row.int("failed_sign_ins")))
            let rows = try await connection.query(
                "UPDATE console_users SET locked_until = $2 WHERE id = $1 RETURNING \(Self.userColumns)",
                [.int(userID), .time(lockedUntil)])
            return try Self.consoleUser(rows[0])
        }
    }

    public func unlock(userID: Int64) async throws {
        try await write { connection in
            _ = try await connection.query(
                "UPDATE console_users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1", [.int(userID)])
        }
    }

    public func openSession(userID: Int64, _ session: NewConsoleSession, now: Date) async throws -> ConsoleSession {
        try await write { connection in
            // The user's row is taken first: a removal at the same moment then waits and takes this session with it,
            // and a user removed already opens nothing.
            guard
                try await !connection.query(
                    """
                    UPDATE console_users SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = $2
                    WHERE id = $1 AND ($3 = '' OR password_hash = $3) RETURNING id
                    """,
                    [.int(userID), .time(now), .text(session.checkedPasswordHash ?? "")]
                ).isEmpty
            else { throw DomainError(.notFound, "No user \(userID).") }
            // Sign-in is the moment to drop this user's sessions that can no longer be used.
            _ = try await connection.query(
                "DELETE FROM console_sessions WHERE user_id = $1 AND expires_at <= $2", [.int(userID), .time(now)])
            let rows = try await connection.query(
                """
                INSERT INTO console_sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at, last_seen_at, client_address)
                VALUES ($1, $2, $3, $4, $5, $6, $5, $7) RETURNING id
                """,
                [
                    .text(session.tokenHash), .int(userID), .text(session.kind.rawValue), .text(session.csrfToken), .time(now),
                    .time(session.expiresAt), .text(session.clientAddress),
                ])
            return ConsoleSession(
                id: try rows[0].int("id"), userID: userID, kind: session.kind, csrfToken: session.csrfToken, createdAt: now,
                expiresAt: session.expiresAt, lastSeenAt: now)
        }
    }

    public func session(tokenHash: String, idle: TimeInterval, now: Date) async throws -> (ConsoleSession, ConsoleUser)? {
        let found = try await database.read { connection in
            try await connection.query(
                """
                SELECT s.id AS session_id, s.kind, s.csrf_token, s.created_at AS session_created_at, s.expires_at, s.last_seen_at,
                    u.id, u.email, u.role, u.firm_id, u.password_hash, u.failed_sign_ins, u.locked_until, u.created_at,
                    u.last_sign_in_at
                FROM console_sessions s JOIN console_users u ON u.id = s.user_id
                WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3
                """, [.text(tokenHash), .time(now), .time(now.addingTimeInterval(-idle))]
            ).first.map { row in
                (
                    ConsoleSession(
                        id: try row.int("session_id"), userID: try row.int("id"), kind: try row.value("kind", as: SessionKind.self),
                        csrfToken: try row.text("csrf_token"), createdAt: try row.time("session_created_at"),
                        expiresAt: try row.time("expires_at"), lastSeenAt: try row.time("last_seen_at")),
                    try Self.consoleUser(row)
                )
            }
        }
        guard let found else { return nil }
        if now.timeIntervalSince(found.0.lastSeenAt) >= 60 {
            try await write { connection in
                _ = try await connection.query(
                    "UPDATE console_sessions SET last_seen_at = $2 WHERE id = $1", [.int(found.0.id), .time(now)])
            }
        }
        return found
    }

    public func closeSession(tokenHash: String) async throws {
        try await write { connection in
            _ = try await connection.query("DELETE FROM console_sessions WHERE token_hash = $1", [.text(tokenHash)])
        }
    }

    public func closeSessions(userID: Int64) async throws -> Int {
        try await write { connection in
            try await connection.query("DELETE FROM console_sessions WHERE user_id = $1 RETURNING id", [.int(userID)]).count
        }
    }

    public func changePassword(userID: Int64, checkedHash: String, passwordHash: String, keepingSession sessionID: Int64) async throws -> Int {
        try await write { connection in
            guard
                try await !connection.query(
                    """
                    UPDATE console_users SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL
                    WHERE id = $1 AND password_hash = $3 RETURNING id
                    """,
                    [.int(userID), .text(passwordHash), .text(checkedHash)]
                ).isEmpty
            else { throw DomainError(.notFound, "No user \(userID) with that password.") }
            return try await connection.query(
                "DELETE FROM console_sessions WHERE user_id = $1 AND id <> $2 RETURNING id", [.int(userID), .int(sessionID)]
            ).count
        }
    }

    public func removeUser(
        id: Int64, actorID: Int64?, decide: @escaping @Sendable (_ actor: ConsoleUser?, _ target: ConsoleUser?) throws -> ConsoleUser,
        audit: @escaping @Sendable (ConsoleUser) -> AuditEntry
    ) async throws -> ConsoleUser {
        let lock = rowLock
        return try await write { connection in
            let (actor, target) = try await Self.lockedUsers(id: id, actorID: actorID, lock: lock, on: connection)
            let user = try decide(actor, target)
            _ = try await connection.query("DELETE FROM console_sessions WHERE user_id = $1", [.int(user.id)])
            _ = try await connection.query("DELETE FROM console_users WHERE id = $1", [.int(user.id)])
            try await Self.insertAudit(audit(user), on: connection)
            return user
        }
    }

    public func changeRole(
        id: Int64, actorID: Int64?, decide: @escaping @Sendable (_ actor: ConsoleUser?, _ target: ConsoleUser?) throws -> ConsoleUser,
        audit: @escaping @Sendable (_ before: ConsoleUser, _ after: ConsoleUser) -> AuditEntry
    ) async throws -> ConsoleUser {
        let lock = rowLock
        return try await write { connection in
            let (actor, target) = try await Self.lockedUsers(id: id, actorID: actorID, lock: lock, on: connection)
            let user = try decide(actor, target)
            guard let before = target, before.role != user.role else { return user }
            _ = try await connection.query("UPDATE console_users SET role = $2 WHERE id = $1", [.int(user.id), .text(user.role.rawValue)])
            try await Self.insertAudit(audit(before, user), on: connection)
            return user
        }
    }

    /// `FOR UPDATE` on PostgreSQL; SQLite's single writer orders the transactions anyway.
    private var rowLock: String { database.dialect == .postgres ? " FOR UPDATE" : "" }

    /// The acting user and user `id` inside a transaction, each `nil` when gone. Both rows are taken in id order: two
    /// owners acting on each other at once go one after the other, and the second finds its actor as the first left it.
    private static func lockedUsers(
        id: Int64, actorID: Int64?, lock: String, on connection: any SQLConnection
    ) async throws -> (actor: ConsoleUser?, target: ConsoleUser?) {
        let rows = try await connection.query(
            "SELECT \(userColumns) FROM console_users WHERE id = $1 OR id = $2 ORDER BY id\(lock)", [.int(id), .int(actorID ?? id)]
        ).map(consoleUser)
        return (actorID.flatMap { actorID in rows.first { $0.id == actorID } }, rows.first { $0.id == id })
    }

    public func appendAudit(_ entry: AuditEntry) async throws {
        try await write { connection in try await Self.insertAudit(entry, on: connection) }
    }

    public func adjustCredits(
        firmID: Int64, amount: Credits, reason: String, now: Date, audit: @escaping @Sendable (LedgerEntry) -> AuditEntry
    ) async throws -> LedgerEntry {
        try await write { connection in
            let entry = try await Self.applyCredits(on: connection, firmID: firmID, amount: amount, kind: .adjustment, reference: reason, now: now)
            try await Self.insertAudit(audit(entry), on: connection)
            return entry
        }
    }

    private static func insertAudit(_ entry: AuditEntry, on connection: any SQLConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO audit_log (at, actor, actor_role, firm_id, action, detail, client_address, request_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            [
                .time(entry.at), .text(entry.actor), .text(entry.actorRole), .int(entry.firmID), .text(entry.action),
                .text(entry.detail), .text(entry.clientAddress), .text(entry.requestID),
            ])
    }

    public func rewriteAuditDetails(actions: [String], _ rewrite: @escaping @Sendable (String) -> String) async throws -> Int {
        guard !actions.isEmpty else { return 0 }
        let dialect = database.dialect
        return try await write { connection in
            let rows = try await connection.query(Self.auditLines(actions: actions.count), actions.map(SQLValue.text))
            let changed = try rows.compactMap { row -> [SQLValue]? in
                let (detail, rewritten) = (try row.text("detail"), rewrite(try row.text("detail")))
                return detail == rewritten ? nil : [.int(try row.int("id")), .text(rewritten)]
            }
            guard !changed.isEmpty else { return 0 }
            try await connection.query(
                "UPDATE audit_log SET detail = v.detail FROM \(Self.auditDetails.source(dialect, parameter: 1)) WHERE audit_log.id = v.id",
                [Self.auditDetails.parameter(changed)])
            return changed.count
        }
    }

    private static let auditDetails = SQLSet([("id", .int), ("detail", .text)])

    /// The audit lines of `actions` actions (`$1`…), read through `audit_log_action`, not the whole log.
    static func auditLines(actions: Int) -> String {
        "SELECT id, detail FROM audit_log WHERE action IN (\((1...actions).map { "$\($0)" }.joined(separator: ", ")))"
    }

    public func auditLog(firmID: Int64?, limit: Int, startingAfter: Int64?) async throws -> [AuditEntry] {
        try await database.read { connection in
            try await connection.query(
                """
                SELECT id, at, actor, actor_role, firm_id, action, detail, client_address, request_id FROM audit_log
                WHERE ($1 = 0 OR firm_id = $2) AND id < $3 ORDER BY id DESC LIMIT $4
                """,
                [.int(firmID == nil ? 0 : 1), .int(firmID ?? 0), .int(startingAfter ?? Int64.max), .int(Int64(limit))]
            ).map { row in
                AuditEntry(
                    id: try row.int("id"), at: try row.time("at"), actor: try row.text("actor"), actorRole: try row.text("actor_role"),
                    firmID: try row.optionalInt("firm_id"), action: try row.text("action"), detail: try row.text("detail"),
                    clientAddress: try row.text("client_address"), requestID: try row.text("request_id"))
            }
        }
    }

    public func blastSummary(firmID: Int64, blastID: String) async throws -> BlastSummary? {
        try await database.read { connection in
            guard
                let blast = try await connection.query(
                    "SELECT channel, reference, created_at, send_at FROM blasts WHERE id = $1 AND firm_id = $2", [.text(blastID), .int(firmID)]
                ).first
            else { return nil }
            var counts: [MessageStatus: Int] = [:]
            var credits = Credits.zero
            for row in try await connection.query(
                """
                SELECT status, COUNT(*) AS n, CAST(COALESCE(SUM(charged), 0) AS BIGINT) AS charged
                FROM messages WHERE blast_id = $1 AND firm_id = $2 GROUP BY status
                """, [.text(blastID), .int(firmID)])
            {
                counts[try row.value("status", as: MessageStatus.self)] = Int(try row.int("n"))
                credits = Credits(units: credits.units + (try row.int("charged")))
            }
            return BlastSummary(
                blastID: blastID, channel: try blast.value("channel", as: Channel.self), reference: try blast.optionalText("reference"),
                createdAt: try blast.time("created_at"), sendAt: try blast.time("send_at"), counts: counts, credits: credits)
        }
    }

    public func deliveryCounts(firmID: Int64, since: Date) async throws -> [DeliveryCount] {
        let rows = try await database.read { connection in
            try await connection.query(
                """
                SELECT created_at / 86400000 AS day, status, COALESCE(network, 'unknown') AS network, COUNT(*) AS n
                FROM messages WHERE firm_id = $1 AND channel = 'sms' AND created_at >= $2
                GROUP BY created_at / 86400000, status, COALESCE(network, 'unknown')
                """, [.int(firmID), .time(since)]
            ).map { row in
                (try row.int("day"), try row.text("status"), try row.text("network"), Int(try row.int("n")))
            }
        }
        var counts: [String: DeliveryCount] = [:]
        for (day, status, network, count) in rows {
            let outcome = status == "delivered" || status == "failed" ? status : "pending"
            let date = Date(timeIntervalSince1970: Double(day) * 86_400).formatted(.iso8601.year().month().day())
            counts["\(date) \(outcome) \(network)", default: DeliveryCount(day: date, outcome: outcome, network: network, count: 0)]
                .count += count
        }
        return counts.values.sorted { ($0.day, $0.outcome, $0.network) < ($1.day, $1.outcome, $1.network) }
    }

    private static func consoleUser(_ row: SQLRow) throws -> ConsoleUser {
        ConsoleUser(
            id: try row.int("id"), email: try row.text("email"), role: try row.value("role", as: ConsoleRole.self),
            firmID: try row.optionalInt("firm_id"), passwordHash: try row.text("password_hash"),
            failedSignIns: Int(try row.int("failed_sign_ins")), lockedUntil: try row.optionalTime("locked_until"),
            createdAt: try row.time("created_at"), lastSignInAt: try row.optionalTime("last_sign_in_at"))
    }

    public func deleteEndedSessions(now: Date, idleCutoff: Date, limit: Int) async throws -> Int {
        try await write { connection in
            try await connection.query(
                """
                DELETE FROM console_sessions WHERE id IN (
                    SELECT id FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2 ORDER BY id LIMIT $3)
                RETURNING id
                """, [.time(now), .time(idleCutoff), .int(Int64(limit))]
            ).count
        }
    }

    public func deleteExpiredInvitations(now: Date, limit: Int) async throws -> Int {
        try await write { connection in
            try await connection.query(
                """
                DELETE FROM console_users WHERE id IN (
                    SELECT id FROM console_users WHERE password_hash = '' AND invite_expires_at <= $1 ORDER BY id LIMIT $2)
                RETURNING id
                """, [.time(now), .int(Int64(limit))]
            ).count
        }
    }

    public func deleteAuditEntries(before cutoff: Date, limit: Int) async throws -> Int {
        try await write { connection in
            try await connection.query(
                """
                DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2) RETURNING id
                """, [.time(cutoff), .int(Int64(limit))]
            ).count
        }
    }
}
