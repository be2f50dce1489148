public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore: HousekeepingStore {
    /// Blast ids, handed to one statement as one parameter (see ``SQLSet``).
    static let blastIDRows = SQLSet([("id", .text)])

    public func holdLease(_ name: String, owner: String, until: Date, now: Date) async throws -> Bool {
        try await write { connection in
            // Both engines: the insert takes a free lease; on conflict the update runs only when the lease has run out
            // or is ours, and RETURNING yields a row only when one of the two happened.
            let held = try await connection.query(
                """
                INSERT INTO leader_leases (name, owner, lease_until) VALUES ($1, $2, $3)
                ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                WHERE leader_leases.lease_until <= $4 OR leader_leases.owner = $2
                RETURNING owner
                """, [.text(name), .text(owner), .time(until), .time(now)])
            return !held.isEmpty
        }
    }

    public func databaseClock(local: @escaping @Sendable () -> Date) async throws -> (database: Date, local: Date)? {
        guard database.dialect == .postgres else { return nil }
        return try await database.read { connection in
            let before = local()
            let row = try await connection.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms", []).first
            let after = local()
            return try row.map {
                (Date(timeIntervalSince1970: Double(try $0.int("now_ms")) / 1000), before.addingTimeInterval(after.timeIntervalSince(before) / 2))
            }
        }
    }

    public func releaseLease(_ name: String, owner: String) async throws {
        try await write { connection in
            try await connection.query("DELETE FROM leader_leases WHERE name = $1 AND owner = $2", [.text(name), .text(owner)])
        }
    }

    public func deleteIdempotencyKeys(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        try await write { connection in
            // The outer condition is checked again on a row a concurrent claim renewed meanwhile (PostgreSQL), so a key
            // taken over for a new request is never deleted under it.
            try await connection.query(
                """
                DELETE FROM idempotency_keys WHERE created_at < $1 AND (firm_id, key) IN (
                    SELECT firm_id, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2)
                RETURNING firm_id
                """, [.time(cutoff), .int(Int64(limit))]
            ).count
        }
    }

    public func deleteIdleRateLimits(now: Int64, limit: Int) async throws -> Int {
        try await write { connection in
            try await connection.query(
                """
                DELETE FROM rate_limits WHERE tat <= $1 AND key IN (SELECT key FROM rate_limits WHERE tat <= $1 LIMIT $2)
                RETURNING key
                """, [.int(now), .int(Int64(limit))]
            ).count
        }
    }

    public func deleteMessages(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        let dialect = database.dialect
        let skipLocked = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await write { connection in
            let found = try await connection.query(
                """
                SELECT id, blast_id FROM messages WHERE created_at < $1 AND status IN ('delivered', 'failed')
                AND NOT EXISTS (
                    SELECT 1 FROM webhook_deliveries d WHERE d.message_id = messages.id AND d.status = 'pending' AND d.next_attempt_at >= $1)
                LIMIT $2\(skipLocked)
                """, [.time(cutoff), .int(Int64(limit))])
            guard !found.isEmpty else { return 0 }
            let ids = Self.idRows.parameter(try found.map { [.int(try $0.int("id"))] })
            let listed = { (column: String) in Self.idRows.matches(column, dialect, parameter: 1) }
            // Children first: no foreign key is broken at any statement.
            try await connection.query(
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE \(listed("message_id")))", [ids])
            try await connection.query("DELETE FROM webhook_deliveries WHERE \(listed("message_id"))", [ids])
            try await connection.query("DELETE FROM message_events WHERE \(listed("message_id"))", [ids])
            if dialect == .postgres {
                try await connection.query(
                    """
                    DELETE FROM message_recipients r USING messages m
                    WHERE \(listed("m.id")) AND r.firm_id = m.firm_id AND r.recipient = LOWER(m.recipient) AND r.message_id = m.id
                    """, [ids])
            }
            try await connection.query("DELETE FROM messages WHERE \(listed("id"))", [ids])
            let blasts = Set(try found.map { try $0.text("blast_id") }).sorted().map { [SQLValue.text($0)] }
            try await connection.query(
                """
                DELETE FROM blasts WHERE \(Self.blastIDRows.matches("id", dialect, parameter: 1))
                AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blast_id = blasts.id)
                """, [Self.blastIDRows.parameter(blasts)])
            return found.count
        }
    }

    public func deleteWebhookDeliveries(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        let dialect = database.dialect
        let skipLocked = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await write { connection in
            let found = try await connection.query(
                "SELECT id FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending' LIMIT $2\(skipLocked)",
                [.time(cutoff), .int(Int64(limit))])
            guard !found.isEmpty else { return 0 }
            let ids = Self.idRows.parameter(try found.map { [.int(try $0.int("id"))] })
            let listed = { (column: String) in Self.idRows.matches(column, dialect, parameter: 1) }
            try await connection.query("DELETE FROM webhook_attempts WHERE \(listed("delivery_id"))", [ids])
            try await connection.query("DELETE FROM webhook_deliveries WHERE \(listed("id"))", [ids])
            return found.count
        }
    }

    public func deleteMessageEvents(occurredBefore cutoff: Date, limit: Int) async throws -> Int {
        let dialect = database.dialect
        return try await write { connection in
            let found = try await connection.query(
                """
                SELECT e.id FROM message_events e
                WHERE e.occurred_at < $1
                AND EXISTS (SELECT 1 FROM messages m WHERE m.id = e.message_id AND m.status IN ('delivered', 'failed'))
                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
                LIMIT $2
                """, [.time(cutoff), .int(Int64(limit))])
            guard !found.isEmpty else { return 0 }
            let ids = Self.idRows.parameter(try found.map { [.int(try $0.int("id"))] })
            let listed = { (column: String) in Self.idRows.matches(column, dialect, parameter: 1) }
            let finished = "SELECT id FROM webhook_deliveries WHERE \(listed("event_id")) AND status <> 'pending'"
            try await connection.query("DELETE FROM webhook_attempts WHERE delivery_id IN (\(finished))", [ids])
            try await connection.query("DELETE FROM webhook_deliveries WHERE id IN (\(finished))", [ids])
            // A delivery made pending again meanwhile (a redelivery) keeps its event.
            return try await connection.query(
                """
                DELETE FROM message_events WHERE \(listed("id"))
                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = message_events.id)
                RETURNING id
                """, [ids]
            ).count
        }
    }

    public func expireMessages(acceptedBefore cutoff: Date, limit: Int, now: Date) async throws -> [Message] {
        let dialect = database.dialect
        let skipLocked = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await write(outbox: true) { connection in
            let ids = try await connection.query(
                """
                SELECT id FROM messages
                WHERE stage = 'submitted' AND sent_at < $1 AND status = 'processing' AND updated_at < $1
                ORDER BY sent_at, id LIMIT $2\(skipLocked)
                """, [.time(cutoff), .int(Int64(limit))]
            ).map { try $0.int("id") }
            guard !ids.isEmpty else { return [] }
            // The same rules and writes as a provider's failure report, without a refund: status, event and webhook
            // delivery commit together.
            let states = try await Self.lockedMessages(ids: ids, dialect: dialect, on: connection)
            let applied = try await Self.applyOutcomes(
                ids.map { ($0, DispatchOutcome.fail(response: expiredResponse, refund: false)) }, to: states, leaseOwner: nil, dialect: dialect,
                on: connection, now: now)
            return applied.filter { $0.status == .failed && $0.response == expiredResponse }
        }
    }
}
