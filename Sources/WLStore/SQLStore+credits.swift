public import Foundation
public import WLDomain
import WLPorts

extension SQLStore {
    static let ledgerColumns = "id, firm_id, kind, amount, balance_after, reference, payment_id, message_id, receipt, created_at"

    public func applyCredits(
        firmID: Int64, amount: Credits, kind: LedgerKind, reference: String, now: Date
    ) async throws
        -> LedgerEntry
    {
        try await write { connection in
            try await Self.applyCredits(
                on: connection, firmID: firmID, amount: amount, kind: kind, reference: reference, now: now)
        }
    }

    /// Moves credits inside a transaction the caller already holds, so a debit can commit with what caused it.
    static func applyCredits(
        on connection: any SQLConnection, firmID: Int64, amount: Credits, kind: LedgerKind, reference: String, paymentID: Int64? = nil,
        messageID: Int64? = nil, receipt: String? = nil, now: Date
    ) async throws -> LedgerEntry {
        let updated = try await connection.query(
            """
            UPDATE firms SET sms_credits = sms_credits + $2 WHERE id = $1 AND sms_credits + $2 >= 0
            RETURNING sms_credits, low_balance_threshold, low_balance_alerted
            """,
            [.int(firmID), .int(amount.units)])
        guard let row = updated.first, let balance = try? row.int("sms_credits") else {
            let exists = try await connection.query("SELECT id FROM firms WHERE id = $1", [.int(firmID)])
            if exists.isEmpty { throw DomainError(.notFound, "No firm with id \(firmID).") }
            throw DomainError(.insufficientCredits, "Insufficient SMS credits")
        }
        let rows = try await connection.query(
            """
            INSERT INTO credit_ledger (firm_id, kind, amount, balance_after, reference, payment_id, message_id, receipt, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING \(ledgerColumns)
            """,
            [
                .int(firmID), .text(kind.rawValue), .int(amount.units), .int(balance), .text(reference), .int(paymentID), .int(messageID),
                .text(receipt), .time(now),
            ])
        try await applyLowBalance([lowBalanceState(row, firmID: firmID)], on: connection, now: now)
        return try entry(from: rows[0])
    }

    public func ledger(firmID: Int64, limit: Int, startingAfter: Int64?) async throws -> [LedgerEntry] {
        try await database.read { connection in
            try await connection.query(
                """
                SELECT \(Self.ledgerColumns) FROM credit_ledger
                WHERE firm_id = $1 AND ($2 < 0 OR id < $2) ORDER BY id DESC LIMIT $3
                """,
                [.int(firmID), .int(startingAfter ?? -1), .int(Int64(limit))]
            ).map(Self.entry)
        }
    }

    public func ledgerSum(firmID: Int64) async throws -> Credits {
        try await database.read { connection in
            let rows = try await connection.query(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM credit_ledger WHERE firm_id = $1", [.int(firmID)])
            return Credits(units: try rows[0].int("total"))
        }
    }

    static func entry(from row: SQLRow) throws -> LedgerEntry {
        LedgerEntry(
            id: try row.int("id"), firmID: try row.int("firm_id"), kind: try row.value("kind", as: LedgerKind.self),
            amount: Credits(units: try row.int("amount")), balanceAfter: Credits(units: try row.int("balance_after")),
            reference: try row.text("reference"), paymentID: try row.optionalInt("payment_id"), messageID: try row.optionalInt("message_id"),
            receipt: try row.optionalText("receipt"), createdAt: try row.time("created_at"))
    }
}
