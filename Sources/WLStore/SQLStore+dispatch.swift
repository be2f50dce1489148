public import Foundation
public import WLDomain

extension SQLStore {
    public func claimDue(channel: Channel, limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [Message] {
        let skipLocked = database.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let due = """
            stage IN ('queued', 'charged') AND channel = $2 AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
            """
        // A plain read first: an idle dispatcher polls without taking SQLite's single writer.
        let anyDue = try await database.read { connection in
            try await connection.query("SELECT id FROM messages WHERE \(due) LIMIT 1", [.time(now), .text(channel.rawValue)])
        }
        guard !anyDue.isEmpty else { return [] }
        return try await write { connection in
            try await connection.query(
                """
                UPDATE messages SET lease_owner = $1, lease_until = $2, updated_at = $3
                WHERE id IN (
                    SELECT id FROM messages
                    WHERE stage IN ('queued', 'charged') AND channel = $4 AND due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
                    ORDER BY due_at, id LIMIT $5\(skipLocked)
                )
                RETURNING \(MessageRow.columns)
                """,
                [.text(owner), .time(now.addingTimeInterval(lease)), .time(now), .text(channel.rawValue), .int(Int64(limit))]
            ).map { try MessageRow(row: $0).message }.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    public func renewLeases(messageIDs: [Int64], owner: String, lease: TimeInterval, now: Date) async throws -> Set<Int64> {
        guard !messageIDs.isEmpty else { return [] }
        // The ids are integers we hold, written as literals.
        let ids = messageIDs.map(String.init).joined(separator: ", ")
        return try await write { connection in
            try await connection.query(
                """
                UPDATE messages SET lease_until = $2 WHERE lease_owner = $1 AND stage IN ('queued', 'charged') AND id IN (\(ids))
                RETURNING id
                """, [.text(owner), .time(now.addingTimeInterval(lease))]
            ).reduce(into: Set<Int64>()) { $0.insert(try $1.int("id")) }
        }
    }

    public func record(_ outcome: DispatchOutcome, messageID: Int64, leaseOwner: String, now: Date) async throws -> Message {
        let lock = lockClause
        return try await write { connection in
            guard
                let found = try await connection.query("SELECT \(MessageRow.columns) FROM messages WHERE id = $1\(lock)", [.int(messageID)]).first
            else { throw DomainError(.notFound, "No message \(messageID).") }
            var row = try MessageRow(row: found)
            guard row.leaseOwner == leaseOwner else {
                throw DomainError(.conflict, "Message \(messageID) is no longer leased to \(leaseOwner).")
            }
            try await Self.apply(outcome, to: &row, on: connection, now: now)
            try await row.save(on: connection, now: now)
            return row.message
        }
    }

    public func record(
        _ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], leaseOwner: String, now: Date
    ) async throws
        -> [Message]
    {
        guard !outcomes.isEmpty else { return [] }
        let lock = lockClause
        return try await write { connection in
            var rows: [Int64: MessageRow] = [:]
            let ids = outcomes.map(\.messageID)
            var start = 0
            while start < ids.count {
                let chunk = Array(ids[start..<min(start + Self.insertBatch, ids.count)])
                let placeholders = chunk.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
                for found in try await connection.query(
                    "SELECT \(MessageRow.columns) FROM messages WHERE id IN (\(placeholders)) ORDER BY id\(lock)", chunk.map(SQLValue.int))
                {
                    let row = try MessageRow(row: found)
                    rows[row.message.id] = row
                }
                start += chunk.count
            }
            var changed: [Message] = []
            for (id, outcome) in outcomes {
                guard var row = rows[id], row.leaseOwner == leaseOwner else { continue }
                try await Self.apply(outcome, to: &row, on: connection, now: now)
                try await row.save(on: connection, now: now)
                rows[id] = row
                changed.append(row.message)
            }
            return changed
        }
    }

    public func recordReport(
        providerMessageID: String, status: MessageStatus, response: String, network: String?, now: Date
    ) async throws
        -> Message?
    {
        let lock = lockClause
        return try await write { connection in
            guard
                let found = try await connection.query(
                    "SELECT \(MessageRow.columns) FROM messages WHERE provider_message_id = $1\(lock)", [.text(providerMessageID)]
                ).first
            else { return nil }
            var row = try MessageRow(row: found)
            try await Self.apply(.report(status, response: response, network: network), to: &row, on: connection, now: now)
            try await row.save(on: connection, now: now)
            return row.message
        }
    }

    /// The state machine of dispatch, inside the caller's transaction: ledger rows and events commit with the change.
    static func apply(_ outcome: DispatchOutcome, to row: inout MessageRow, on connection: any SQLConnection, now: Date) async throws {
        let id = row.message.id
        switch outcome {
        case .charge:
            guard row.message.stage == .queued, row.message.status == .pending else { return }
            do {
                // Free messages (email) write no ledger row.
                if row.message.credits > .zero {
                    _ = try await applyCredits(
                        on: connection, firmID: row.message.firmID, amount: -row.message.credits, kind: .debit, reference: "message \(id)",
                        messageID: id, now: now)
                }
                row.charged = row.message.credits
                row.message.stage = .charged
                try await row.move(to: .processing, response: "Sending", on: connection, now: now)
            } catch let error as DomainError where error.code == .insufficientCredits {
                try await row.move(to: .failed, response: insufficientCreditsResponse, on: connection, now: now)
            }
        case .submitted(let providerMessageID, let report):
            guard row.message.stage == .charged else { return }
            row.message.stage = .submitted
            row.message.providerMessageID = providerMessageID
            row.message.sentAt = now
            row.message.attempts += 1
            row.leaseUntil = nil
            row.leaseOwner = nil
            if let report {
                try await apply(.report(report.status, response: report.response, network: report.network), to: &row, on: connection, now: now)
            }
        case .report(let status, let response, let network):
            if let network { row.message.network = network }
            try await row.move(to: status, response: response, on: connection, now: now)
        case .retry(let at, let response):
            guard !row.message.status.isFinal else { return }
            row.message.attempts += 1
            row.message.dueAt = at
            row.message.response = response
            row.leaseUntil = nil
            row.leaseOwner = nil
        case .fail(let response, let refund):
            guard try await row.move(to: .failed, response: response, on: connection, now: now) else { return }
            if refund && row.charged > .zero {
                _ = try await applyCredits(
                    on: connection, firmID: row.message.firmID, amount: row.charged, kind: .refund, reference: "message \(id)", messageID: id,
                    now: now)
                row.charged = .zero
            }
        }
    }
}
