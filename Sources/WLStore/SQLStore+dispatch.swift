public import Foundation
public import WLDomain
import WLPorts

extension SQLStore {
    public func claimDue(channel: Channel, limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [Message] {
        let skipLocked = database.dialect == .postgres ? " FOR NO KEY UPDATE SKIP LOCKED" : ""
        let due = """
            stage IN ('queued', 'charged') AND channel = $2 AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
            """
        // A plain read first: an idle dispatcher polls without taking SQLite's single writer.
        let anyDue = try await database.read { connection in
            try await connection.query("SELECT id FROM messages WHERE \(due) LIMIT 1", [.time(now), .text(channel.rawValue)])
        }
        guard !anyDue.isEmpty else { return [] }
        let dialect = database.dialect
        return try await write { connection in
            try await connection.query(
                """
                UPDATE messages SET lease_owner = $1, lease_until = $2, updated_at = $3
                WHERE \(dialect.idIn("""
                    SELECT id FROM messages
                    WHERE stage IN ('queued', 'charged') AND channel = $4 AND due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
                    ORDER BY due_at, id LIMIT $5\(skipLocked)
                    """))
                RETURNING \(MessageRow.columns)
                """,
                [.text(owner), .time(now.addingTimeInterval(lease)), .time(now), .text(channel.rawValue), .int(Int64(limit))]
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
