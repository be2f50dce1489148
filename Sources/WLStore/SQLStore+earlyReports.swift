public import Foundation
import WLDomain
import WLPorts

/// Delivery reports that came before the send they report on was recorded. A provider may call back faster than the
/// dispatcher commits the provider's answer; such a report is parked in `early_reports` and applied, through
/// ``DispatchRules`` like any other report, in the transaction that records the send.
///
/// On PostgreSQL the two transactions could cross: the report's look-up runs before the send commits, and its parked
/// row commits after the send's transaction looked for parked rows. So both take a transaction-scoped advisory lock
/// on the provider id first (``lockProviderIDs(_:dialect:on:)``): whichever comes second sees what the first
/// committed. SQLite's single writer serialises them already. Housekeeping's sweep (``applyEarlyReports(limit:now:)``)
/// stays as the safety net.
extension SQLStore {
    static let providerIDRows = SQLSet([("id", .text)])
    static let earlyReportColumns = "provider_message_id, status, response, network, received_at"

    /// Parks a report for a provider id that no message carries (yet); the same status twice is kept once.
    static func park(
        providerMessageID: String, status: MessageStatus, response: String, network: String?, on connection: any SQLConnection, now: Date
    ) async throws {
        try await connection.query(
            """
            INSERT INTO early_reports (\(earlyReportColumns)) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (provider_message_id, status) DO NOTHING
            """, [.text(providerMessageID), .text(status.rawValue), .text(response), .text(network), .time(now)])
    }

    /// Applies and deletes the reports parked for the provider ids that these messages, just submitted, now carry.
    /// - Returns: `applied`, each message as it is after its reports.
    static func applyEarlyReports(
        to applied: [Message], dialect: SQLDialect, on connection: any SQLConnection, now: Date
    ) async throws
        -> [Message]
    {
        var submitted: [String: Int64] = [:]
        for message in applied where message.stage == .submitted {
            if let providerID = message.providerMessageID { submitted[providerID] = message.id }
        }
        guard !submitted.isEmpty else { return applied }
        try await lockProviderIDs(Array(submitted.keys), dialect: dialect, on: connection)
        let rows = try await connection.query(
            """
            DELETE FROM early_reports WHERE \(providerIDRows.matches("provider_message_id", dialect, parameter: 1))
            RETURNING \(earlyReportColumns)
            """, [providerIDRows.parameter(submitted.keys.sorted().map { [.text($0)] })])
        let reported = try await apply(reports: rows, messageIDs: submitted, dialect: dialect, on: connection, now: now)
        return applied.map { reported[$0.id] ?? $0 }
    }

    /// Takes PostgreSQL's transaction-scoped advisory locks on these provider ids (in one order, so two
    /// transactions cannot deadlock); nothing on SQLite.
    static func lockProviderIDs(_ ids: [String], dialect: SQLDialect, on connection: any SQLConnection) async throws {
        guard dialect == .postgres, !ids.isEmpty else { return }
        try await connection.query(
            """
            SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtext(id) AS k FROM \(providerIDRows.source(dialect, parameter: 1))) locks
            ORDER BY k
            """, [providerIDRows.parameter(ids.sorted().map { [.text($0)] })])
    }

    /// Applies parked report rows (``earlyReportColumns``) to the messages `messageIDs` names by provider id, oldest
    /// report first, whatever their lease.
    /// - Returns: The messages changed, by id.
    private static func apply(
        reports rows: [SQLRow], messageIDs: [String: Int64], dialect: SQLDialect, on connection: any SQLConnection, now: Date
    ) async throws -> [Int64: Message] {
        guard !rows.isEmpty else { return [:] }
        var reports: [(receivedAt: Int64, messageID: Int64, outcome: DispatchOutcome)] = []
        for row in rows {
            guard let messageID = messageIDs[try row.text("provider_message_id")],
                let status = MessageStatus(rawValue: try row.text("status"))
            else { continue }
            let outcome = DispatchOutcome.report(status, response: try row.text("response"), network: try row.optionalText("network"))
            reports.append((try row.int("received_at"), messageID, outcome))
        }
        reports.sort { $0.receivedAt < $1.receivedAt }
        let states = try await lockedMessages(ids: Array(Set(reports.map(\.messageID))), dialect: dialect, on: connection)
        let applied = try await applyOutcomes(
            reports.map { ($0.messageID, $0.outcome) }, to: states, leaseOwner: nil, dialect: dialect, on: connection, now: now)
        return Dictionary(applied.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
    }

    public func applyEarlyReports(limit: Int, now: Date) async throws -> Int {
        let dialect = database.dialect
        return try await write(outbox: true) { connection in
            let matched = try await connection.query(
                """
                SELECT m.id, r.provider_message_id FROM early_reports r JOIN messages m ON m.provider_message_id = r.provider_message_id
                ORDER BY r.received_at LIMIT $1
                """, [.int(Int64(limit))])
            guard !matched.isEmpty else { return 0 }
            var messageIDs: [String: Int64] = [:]
            for row in matched { messageIDs[try row.text("provider_message_id")] = try row.int("id") }
            let rows = try await connection.query(
                """
                DELETE FROM early_reports WHERE \(Self.providerIDRows.matches("provider_message_id", dialect, parameter: 1))
                RETURNING \(Self.earlyReportColumns)
                """, [Self.providerIDRows.parameter(messageIDs.keys.sorted().map { [.text($0)] })])
            _ = try await Self.apply(reports: rows, messageIDs: messageIDs, dialect: dialect, on: connection, now: now)
            return rows.count
        }
    }

    public func deleteEarlyReports(receivedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await write { connection in
            try await connection.query(
                """
                DELETE FROM early_reports WHERE received_at < $1 AND (provider_message_id, status) IN (
                    SELECT provider_message_id, status FROM early_reports WHERE received_at < $1 ORDER BY received_at LIMIT $2)
                RETURNING provider_message_id
                """, [.time(cutoff), .int(Int64(limit))]
            ).count
        }
    }
}
