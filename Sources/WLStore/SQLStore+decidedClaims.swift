public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore {
    public func claimDue(
        channel: Channel, limit: Int, owner: String, lease: TimeInterval, now: Date,
        deciding decide: @escaping @Sendable (ClaimedBatch) -> [(messageID: Int64, outcome: DispatchOutcome)]
    ) async throws -> (batch: ClaimedBatch, after: [Message]) {
        let binds: [SQLValue] = [.time(now), .text(channel.rawValue)]
        guard try await anyDue(binds) else { return (ClaimedBatch(), []) }
        guard database.dialect == .postgres else {
            return try await claimDue(binds, limit: limit, owner: owner, lease: lease, now: now, balanceLock: .first, decide: decide)
        }
        // Concurrent batches of one firm took turns on its balance row for their whole transaction (170–260 ms a wait
        // on PostgreSQL); now only for the last statements, and again with the balance locked first if it moved.
        do {
            return try await claimDue(binds, limit: limit, owner: owner, lease: lease, now: now, balanceLock: .last, decide: decide)
        } catch is BalanceMoved {
            return try await claimDue(binds, limit: limit, owner: owner, lease: lease, now: now, balanceLock: .first, decide: decide)
        }
    }

    private func claimDue(
        _ binds: [SQLValue], limit: Int, owner: String, lease: TimeInterval, now: Date, balanceLock: BalanceLock,
        decide: @escaping @Sendable (ClaimedBatch) -> [(messageID: Int64, outcome: DispatchOutcome)]
    ) async throws -> (batch: ClaimedBatch, after: [Message]) {
        let dialect = database.dialect
        let skipLocked = dialect == .postgres ? " FOR NO KEY UPDATE SKIP LOCKED" : ""
        return try await write(outbox: true) { connection in
            // The rows come from the locking reads themselves: on PostgreSQL that is the version each lock found
            // still due, not the statement's snapshot.
            let rows = try await connection.query(
                """
                WITH expired AS (SELECT \(MessageRow.columns) FROM messages WHERE \(Self.expiredDue) ORDER BY lease_until LIMIT $3\(skipLocked)),
                free AS (SELECT \(MessageRow.columns) FROM messages WHERE \(Self.freeDue) ORDER BY due_at, id LIMIT $3\(skipLocked))
                SELECT * FROM expired UNION ALL SELECT * FROM free LIMIT $3
                """, binds + [.int(Int64(limit))])
            var states: [Int64: DispatchState] = [:]
            var claimed: [Message] = []
            for row in rows {
                var state = try MessageRow(row: row).state
                state.leaseOwner = owner
                state.leaseUntil = now.addingTimeInterval(lease)
                states[state.message.id] = state
                claimed.append(state.message)
            }
            claimed.sort { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
            guard !claimed.isEmpty else { return (ClaimedBatch(), []) }
            let firms = try await Self.firms(ids: Set(claimed.map(\.firmID)), dialect: dialect, on: connection)
            let optedOut = try await Self.optedOut(
                claimed.map { FirmPhone(firmID: $0.firmID, phone: $0.recipient) }, dialect: dialect, on: connection)
            let needConsent = claimed.filter { $0.category == .promotional && firms[$0.firmID]?.promotionalConsentRequired == true }
                .map { FirmPhone(firmID: $0.firmID, phone: $0.recipient) }
            let consenting = try await Self.consenting(needConsent, dialect: dialect, on: connection)
            let batch = ClaimedBatch(
                messages: claimed, firms: firms, optedOut: optedOut, withoutConsent: Set(needConsent).subtracting(consenting))
            let outcomes = decide(batch)
            let applied = try await Self.applyOutcomes(
                outcomes, to: states, leaseOwner: owner, rewrite: claimed.map(\.id), balanceLock: balanceLock, dialect: dialect, on: connection,
                now: now)
            let after = Dictionary(applied.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            return (batch, claimed.map { after[$0.id] ?? $0 })
        }
    }

    /// Whether any message may be claimed: a plain read, so that an idle dispatcher polls without taking SQLite's
    /// single writer. `binds` are now and the channel.
    func anyDue(_ binds: [SQLValue]) async throws -> Bool {
        try await database.read { connection in
            // Each part in its index's order, so PostgreSQL stops at the first live entry (and marks the dead ones).
            try await !connection.query(
                """
                SELECT id FROM (SELECT id FROM messages WHERE \(Self.freeDue) ORDER BY due_at, id LIMIT 1) AS f
                UNION ALL SELECT id FROM (SELECT id FROM messages WHERE \(Self.expiredDue) ORDER BY lease_until LIMIT 1) AS e
                """, binds
            ).isEmpty
        }
    }

    /// Which of `entries` have a contact of their firm that consents to promotional SMS, read on `connection`.
    static func consenting(_ entries: [FirmPhone], dialect: SQLDialect, on connection: any SQLConnection) async throws -> Set<FirmPhone> {
        guard !entries.isEmpty else { return [] }
        var found: Set<FirmPhone> = []
        for row in try await connection.query(
            """
            SELECT c.firm_id, c.phone FROM \(optOutRows.source(dialect, parameter: 1))
            JOIN contacts c ON c.firm_id = v.firm_id AND c.phone = v.phone WHERE c.promotional_consent = 1
            """, [optOutRows.parameter(entries.map { [.int($0.firmID), .text($0.phone)] })])
        {
            found.insert(FirmPhone(firmID: try row.int("firm_id"), phone: try row.text("phone")))
        }
        return found
    }

    /// These firms, by id, read on `connection`.
    static func firms(ids: Set<Int64>, dialect: SQLDialect, on connection: any SQLConnection) async throws -> [Int64: Firm] {
        let rows = try await connection.query(
            "SELECT \(firmColumns) FROM firms WHERE \(idRows.matches("id", dialect, parameter: 1))",
            [idRows.parameter(ids.sorted().map { [.int($0)] })])
        var firms: [Int64: Firm] = [:]
        for row in rows {
            let firm = try firm(from: row)
            firms[firm.id] = firm
        }
        return firms
    }
}
