public import Foundation
public import WLDomain
import WLPorts

extension SQLStore {
    /// The messages `claimDue` may take: free ones (no lease) and those whose lease ended, each read from the front
    /// of its own index (migration 19). `$1` is now, `$2` the channel.
    static let freeDue = "stage IN ('queued', 'charged') AND lease_owner IS NULL AND channel = $2 AND due_at <= $1"
    static let expiredDue = """
        stage IN ('queued', 'charged') AND lease_owner IS NOT NULL AND lease_until <= $1 AND channel = $2 AND due_at <= $1
        """

    public func claimDue(channel: Channel, limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [Message] {
        let skipLocked = database.dialect == .postgres ? " FOR NO KEY UPDATE SKIP LOCKED" : ""
        let binds: [SQLValue] = [.time(now), .text(channel.rawValue)]
        guard try await anyDue(binds) else { return [] }
        let dialect = database.dialect
        return try await write { connection in
            // Ended leases first (their messages are the oldest). PostgreSQL cannot lock rows under a UNION, so each
            // part locks its own in a CTE; when both find rows, the free part may lock a few that the limit then
            // leaves, until this transaction commits.
            try await connection.query(
                """
                WITH expired AS (SELECT id FROM messages WHERE \(Self.expiredDue) ORDER BY lease_until LIMIT $3\(skipLocked)),
                free AS (SELECT id FROM messages WHERE \(Self.freeDue) ORDER BY due_at, id LIMIT $3\(skipLocked))
                UPDATE messages SET lease_owner = $4, lease_until = $5, updated_at = $1
                WHERE \(dialect.idIn("SELECT id FROM expired UNION ALL SELECT id FROM free LIMIT $3"))
                RETURNING \(MessageRow.columns)
                """,
                binds + [.int(Int64(limit)), .text(owner), .time(now.addingTimeInterval(lease))]
            ).map { try MessageRow(row: $0).message }.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    public func renewLeases(messageIDs: [Int64], owner: String, lease: TimeInterval, now: Date) async throws -> Set<Int64> {
        try await renewLeases(in: "messages", held: "stage IN ('queued', 'charged')", ids: messageIDs, owner: owner, lease: lease, now: now)
    }

    public func record(_ outcome: DispatchOutcome, messageID: Int64, leaseOwner: String, now: Date) async throws -> Message {
        let dialect = database.dialect
        return try await write(outbox: true) { connection in
            let states = try await Self.lockedMessages(ids: [messageID], dialect: dialect, on: connection)
            guard let state = states[messageID] else { throw DomainError(.notFound, "No message \(messageID).") }
            guard state.leaseOwner == leaseOwner else {
                throw DomainError(.conflict, "Message \(messageID) is no longer leased to \(leaseOwner).")
            }
            let applied = try await Self.applyOutcomes(
                [(messageID, outcome)], to: states, leaseOwner: leaseOwner, dialect: dialect, on: connection, now: now)
            return applied[0]
        }
    }

    public func record(
        _ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], leaseOwner: String, now: Date
    ) async throws
        -> [Message]
    {
        guard !outcomes.isEmpty else { return [] }
        if let recorded = try await recordDecidedFirst(outcomes, leaseOwner: leaseOwner, now: now) { return recorded }
        let dialect = database.dialect
        return try await write(outbox: true) { connection in
            let states = try await Self.lockedMessages(ids: outcomes.map(\.messageID), dialect: dialect, on: connection)
            let applied = try await Self.applyOutcomes(outcomes, to: states, leaseOwner: leaseOwner, dialect: dialect, on: connection, now: now)
            return try await Self.applyEarlyReports(to: applied, dialect: dialect, on: connection, now: now)
        }
    }

    public func applyReport(
        providerMessageID: String, status: MessageStatus, response: String, network: String?, now: Date
    ) async throws -> (message: Message, changed: Bool)? {
        let dialect = database.dialect
        let lock = lockClause
        return try await write(outbox: true) { connection in
            try await Self.lockProviderIDs([providerMessageID], dialect: dialect, on: connection)
            guard
                let found = try await connection.query(
                    "SELECT \(MessageRow.columns) FROM messages WHERE provider_message_id = $1\(lock)", [.text(providerMessageID)]
                ).first
            else {
                try await Self.park(
                    providerMessageID: providerMessageID, status: status, response: response, network: network, on: connection, now: now)
                return nil
            }
            let state = try MessageRow(row: found).state
            guard
                let after = try await Self.applyOutcomes(
                    [(state.message.id, .report(status, response: response, network: network))], to: [state.message.id: state], leaseOwner: nil,
                    dialect: dialect, on: connection, now: now
                ).first
            else { return nil }
            return (after, after != state.message)
        }
    }
}
