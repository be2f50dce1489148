import Foundation
import WLDomain
import WLPorts

/// The set-based side of dispatch: a batch of messages is read, locked and written back in a constant number of
/// statements whatever its size, each statement's text fixed (the rows travel as one JSON parameter, see
/// ``SQLSet``). PostgreSQL writes a whole batch in one statement of data-modifying CTEs (one round trip); SQLite,
/// in-process, runs the same parts one after another in the same transaction (and records outcomes that move no
/// credits decided before its writer is taken: see `SQLStore+decidedRecords.swift`).
extension SQLStore {
    static let messageChanges = SQLSet([
        ("id", .int), ("charged", .int), ("status", .text), ("response", .text), ("network", .text), ("stage", .text), ("attempts", .int),
        ("due_at", .int), ("lease_until", .int), ("lease_owner", .text), ("provider_message_id", .text), ("event_sequence", .int),
        ("sent_at", .int), ("delivered_at", .int),
    ])
    static let balanceChanges = SQLSet([("id", .int), ("balance", .int)])
    static let ledgerRows = SQLSet([
        ("firm_id", .int), ("kind", .text), ("amount", .int), ("balance_after", .int), ("reference", .text), ("message_id", .int),
    ])
    static let eventRows = SQLSet([
        ("firm_id", .int), ("message_id", .int), ("sequence", .int), ("event", .text), ("status", .text), ("response", .text),
    ])
    static let idRows = SQLSet([("id", .int)])

    /// Reads and (on PostgreSQL) locks these messages, in id order.
    static func lockedMessages(ids: [Int64], dialect: SQLDialect, on connection: any SQLConnection) async throws -> [Int64: DispatchState] {
        guard !ids.isEmpty else { return [:] }
        let lock = dialect == .postgres ? " FOR NO KEY UPDATE" : ""
        let rows = try await connection.query(
            "SELECT \(MessageRow.columns) FROM messages WHERE \(idRows.matches("id", dialect, parameter: 1)) ORDER BY id\(lock)",
            [idRows.parameter(ids.map { [.int($0)] })])
        var states: [Int64: DispatchState] = [:]
        for row in rows {
            let state = try MessageRow(row: row).state
            states[state.message.id] = state
        }
        return states
    }

    /// Reads and (on PostgreSQL, unless `lock` is false) locks these firms' balances with their low-balance state, in
    /// id order (so concurrent batches cannot deadlock).
    static func lockedBalances(
        firmIDs: Set<Int64>, lock: Bool = true, dialect: SQLDialect, on connection: any SQLConnection
    ) async throws -> [Int64: LowBalanceState] {
        guard !firmIDs.isEmpty else { return [:] }
        let lock = dialect == .postgres && lock ? " FOR NO KEY UPDATE" : ""
        let rows = try await connection.query(
            """
            SELECT id, sms_credits, low_balance_threshold, low_balance_alerted FROM firms
            WHERE \(idRows.matches("id", dialect, parameter: 1)) ORDER BY id\(lock)
            """,
            [idRows.parameter(firmIDs.sorted().map { [.int($0)] })])
        var balances: [Int64: LowBalanceState] = [:]
        for row in rows {
            let id = try row.int("id")
            balances[id] = try lowBalanceState(row, firmID: id)
        }
        return balances
    }

    /// Applies `outcomes` in order to the messages still leased to `leaseOwner` (all of them when `nil`: delivery
    /// reports), with ``DispatchRules``, and writes every decision in the caller's transaction. The messages in
    /// `rewrite` are written even when no outcome changes them (a claim's new lease).
    /// - Returns: The messages an outcome was applied to, in the order given.
    static func applyOutcomes(
        _ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], to states: [Int64: DispatchState], leaseOwner: String?,
        rewrite: [Int64] = [], balanceLock: BalanceLock = .first, dialect: SQLDialect, on connection: any SQLConnection, now: Date
    ) async throws -> [Message] {
        var states = states
        let payers = Set(outcomes.filter(\.outcome.movesCredits).compactMap { states[$0.messageID]?.message.firmID })
        // One statement moves the balances at the end, locking its rows in no set order: with several firms, two
        // batches could each hold one the other waits for.
        let balanceLock = payers.count > 1 ? .first : balanceLock
        let before = try await lockedBalances(firmIDs: payers, lock: balanceLock == .first, dialect: dialect, on: connection)
        let balancesBefore = before.mapValues(\.balance)
        var effects = DispatchEffects(balances: balancesBefore)
        var applied: [Message] = []
        var changed = rewrite
        for (id, outcome) in outcomes {
            guard var state = states[id], leaseOwner == nil || state.leaseOwner == leaseOwner else { continue }
            if DispatchRules.apply(outcome, to: &state, effects: &effects, now: now) { changed.append(id) }
            if balanceLock == .last, case .charge = outcome, state.message.status == .failed { throw BalanceMoved() }
            states[id] = state
            applied.append(state.message)
        }
        let balances = effects.balances.filter { balancesBefore[$0.key] != $0.value }
        let written = Set(changed).sorted().compactMap { states[$0] }
        var after: [LowBalanceState]
        if balanceLock == .last {
            var messagesOnly = effects
            messagesOnly.credits = []
            try await write(written, effects: messagesOnly, balances: [:], dialect: dialect, on: connection, now: now)
            after = try await settleLast(effects.credits, dialect: dialect, on: connection, now: now)
        } else {
            try await write(written, effects: effects, balances: balances, dialect: dialect, on: connection, now: now)
            after = balances.compactMap { firmID, balance in
                before[firmID].map { LowBalanceState(firmID: firmID, balance: balance, threshold: $0.threshold, alerted: $0.alerted) }
            }
        }
        try await applyLowBalance(after, on: connection, now: now)
        return applied
    }

    /// When a batch takes its firms' balance rows (see ``applyOutcomes(_:to:leaseOwner:rewrite:balanceLock:dialect:on:now:)``).
    enum BalanceLock {
        /// Locked before deciding: the decision sees the balance it will write. Any batch may use it.
        case first
        /// Read without a lock, decided, and moved by the batch's last statements, which check that every step of
        /// it is still covered (``BalanceMoved`` otherwise): a firm's balance row is held from then to the commit,
        /// not for the whole batch. For charges of one firm, when its balance covered all of them.
        case last
    }

    /// The firm's balance changed, between the read and the move, so that the batch's charges are no longer all
    /// covered, or the batch refused a charge: ``BalanceLock/last`` gives up, and the transaction is run again with
    /// ``BalanceLock/first``.
    struct BalanceMoved: Error {}

    static let balanceMoves = SQLSet([("id", .int), ("delta", .int), ("lowest", .int)])

    /// Moves each firm's balance by its credit moves if its balance now covers every step of them, then writes their
    /// ledger rows with the balances that followed.
    /// - Returns: The firms' low-balance states after.
    private static func settleLast(
        _ credits: [CreditMove], dialect: SQLDialect, on connection: any SQLConnection, now: Date
    ) async throws -> [LowBalanceState] {
        guard !credits.isEmpty else { return [] }
        var moves: [Int64: (delta: Credits, lowest: Credits, decided: Credits)] = [:]
        for move in credits {
            var firm = moves[move.firmID] ?? (.zero, .zero, .zero)
            firm.delta = firm.delta + move.amount
            firm.lowest = min(firm.lowest, firm.delta)
            firm.decided = move.balanceAfter
            moves[move.firmID] = firm
        }
        let rows = try await connection.query(
            """
            UPDATE firms SET sms_credits = sms_credits + v.delta FROM \(balanceMoves.source(dialect, parameter: 1))
            WHERE firms.id = v.id AND firms.sms_credits + v.lowest >= 0
            RETURNING firms.id, firms.sms_credits, firms.low_balance_threshold, firms.low_balance_alerted
            """,
            [
                balanceMoves.parameter(
                    moves.sorted { $0.key < $1.key }.map { [.int($0.key), .int($0.value.delta.units), .int($0.value.lowest.units)] })
            ])
        guard rows.count == moves.count else { throw BalanceMoved() }
        var after: [Int64: LowBalanceState] = [:]
        for row in rows {
            let id = try row.int("id")
            after[id] = try lowBalanceState(row, firmID: id)
        }
        // Each row's balance as decided, shifted by how far the firm's balance had moved since it was read.
        let ledger = credits.map { move in
            var moved = move
            if let firm = moves[move.firmID], let actual = after[move.firmID] {
                moved.balanceAfter = move.balanceAfter + (actual.balance - firm.decided)
            }
            return moved
        }
        let part = ledgerInsert(ledger, dialect)
        try await connection.query(part.sql(2), [.time(now), part.rows])
        return Array(after.values)
    }

    /// On PostgreSQL, the extra condition with which an `UPDATE … FROM` a row set finds its rows through `column`'s
    /// index (see ``SQLSet/matches(_:key:_:parameter:)``); SQLite needs none, as it looks each row of the set up.
    static func indexed(_ column: String, _ set: SQLSet, _ dialect: SQLDialect, _ parameter: Int) -> String {
        dialect == .postgres ? " AND \(set.matches(column, dialect, parameter: parameter))" : ""
    }

    /// One part of a batch's write: its statement for the JSON rows in parameter `$n` (`$1` is "now"), and the rows.
    struct WritePart {
        var sql: (_ parameter: Int) -> String
        var rows: SQLValue
    }

    /// Writes changed messages, balances, ledger rows, events and their webhook deliveries.
    private static func write(
        _ messages: [DispatchState], effects: DispatchEffects, balances: [Int64: Credits], dialect: SQLDialect, on connection: any SQLConnection,
        now: Date
    ) async throws {
        var parts: [WritePart] = []
        if !messages.isEmpty { parts.append(messageUpdate(messages, dialect)) }
        if !balances.isEmpty { parts.append(balanceUpdate(balances, dialect)) }
        if !effects.credits.isEmpty { parts.append(ledgerInsert(effects.credits, dialect)) }
        if !effects.blockedSenders.isEmpty { parts.append(blockedSenderInsert(effects.blockedSenders, dialect)) }
        let events = eventParameter(effects.events)
        switch dialect {
        case .postgres:
            // One statement: every part a data-modifying CTE, the events feeding the webhook outbox.
            var binds: [SQLValue] = [.time(now)]
            var ctes: [String] = []
            for (index, part) in parts.enumerated() {
                binds.append(part.rows)
                ctes.append("w\(index) AS (\(part.sql(binds.count)))")
            }
            var final = "SELECT 1"
            if !effects.events.isEmpty {
                binds.append(events)
                let source = eventRows.source(dialect, parameter: binds.count)
                ctes.append("e AS (\(insertEvents(from: source)) RETURNING id, firm_id, message_id, sequence)")
                final = insertDeliveries(from: "e")
            }
            guard !ctes.isEmpty else { return }
            try await connection.query("WITH \(ctes.joined(separator: ", ")) \(final)", binds)
        case .sqlite:
            for part in parts { try await connection.query(part.sql(2), [.time(now), part.rows]) }
            guard !effects.events.isEmpty else { return }
            try await insertEventsAndDeliveries(events, on: connection, now: now)
        }
    }

    /// ``eventRows`` rows of these events.
    static func eventParameter(_ events: [StatusEvent]) -> SQLValue {
        eventRows.parameter(
            events.map { event in
                [
                    .int(event.firmID), .int(event.messageID), .int(Int64(event.sequence)), .text(event.name), .text(event.status.rawValue),
                    .text(event.response),
                ]
            })
    }

    /// On SQLite: inserts the events of ``eventRows`` rows `events`, then their webhook deliveries.
    static func insertEventsAndDeliveries(_ events: SQLValue, on connection: any SQLConnection, now: Date) async throws {
        let source = eventRows.source(.sqlite, parameter: 2)
        try await connection.query(insertEvents(from: source), [.time(now), events])
        let joined = "\(source) JOIN message_events e ON e.message_id = v.message_id AND e.sequence = v.sequence"
        try await connection.query(insertDeliveries(from: joined), [.time(now), events])
    }

    private static func messageUpdate(_ messages: [DispatchState], _ dialect: SQLDialect) -> WritePart {
        WritePart(
            sql: {
                "UPDATE messages SET \(messageAssignments), updated_at = $1 FROM \(messageChanges.source(dialect, parameter: $0)) WHERE messages.id = v.id\(indexed("messages.id", messageChanges, dialect, $0))"
            },
            rows: messageChanges.parameter(messages.map(\.columnValues)))
    }

    private static func balanceUpdate(_ balances: [Int64: Credits], _ dialect: SQLDialect) -> WritePart {
        WritePart(
            sql: { "UPDATE firms SET sms_credits = v.balance FROM \(balanceChanges.source(dialect, parameter: $0)) WHERE firms.id = v.id" },
            rows: balanceChanges.parameter(balances.sorted { $0.key < $1.key }.map { [.int($0.key), .int($0.value.units)] }))
    }

    private static func blockedSenderInsert(_ blocks: [FirmPhone], _ dialect: SQLDialect) -> WritePart {
        WritePart(
            sql: {
                """
                INSERT INTO sms_opt_outs (firm_id, phone, source, created_at)
                SELECT DISTINCT v.firm_id, v.phone, '\(OptOutSource.blacklisted.rawValue)', $1 FROM \(optOutRows.source(dialect, parameter: $0))
                WHERE true ORDER BY v.firm_id, v.phone ON CONFLICT (firm_id, phone) DO NOTHING
                """
            },
            rows: optOutRows.parameter(blocks.map { [.int($0.firmID), .text($0.phone)] }))
    }

    private static func ledgerInsert(_ credits: [CreditMove], _ dialect: SQLDialect) -> WritePart {
        WritePart(
            sql: {
                """
                INSERT INTO credit_ledger (firm_id, kind, amount, balance_after, reference, message_id, created_at)
                SELECT v.firm_id, v.kind, v.amount, v.balance_after, v.reference, v.message_id, $1
                FROM \(ledgerRows.source(dialect, parameter: $0)) ORDER BY v.ord
                """
            },
            rows: ledgerRows.parameter(
                credits.map { move in
                    [
                        .int(move.firmID), .text(move.kind.rawValue), .int(move.amount.units), .int(move.balanceAfter.units),
                        .text("message \(move.messageID)"), .int(move.messageID),
                    ]
                }))
    }

    static let messageAssignments = messageChanges.columns.dropFirst().map { "\($0.name) = v.\($0.name)" }.joined(separator: ", ")

    private static func insertEvents(from source: String) -> String {
        """
        INSERT INTO message_events (firm_id, message_id, sequence, event, status, response, occurred_at)
        SELECT v.firm_id, v.message_id, v.sequence, v.event, v.status, v.response, $1 FROM \(source) ORDER BY v.ord
        """
    }

    /// The webhook outbox rows of the events in `source` (where `e` names the event), for firms whose webhook
    /// works.
    private static func insertDeliveries(from source: String) -> String {
        """
        INSERT INTO webhook_deliveries (firm_id, event_id, message_id, sequence, status, next_attempt_at, created_at)
        SELECT e.firm_id, e.id, e.message_id, e.sequence, 'pending', $1, $1 FROM \(source)
        JOIN firms f ON f.id = e.firm_id WHERE f.webhook_url IS NOT NULL AND f.webhook_disabled_at IS NULL
        """
    }
}

extension DispatchState {
    /// The values of ``SQLStore/messageChanges``' columns.
    var columnValues: [SQLValue] {
        [
            .int(message.id), .int(charged.units), .text(message.status.rawValue), .text(message.response), .text(message.network),
            .text(message.stage.rawValue), .int(Int64(message.attempts)), .time(message.dueAt), .time(leaseUntil), .text(leaseOwner),
            .text(message.providerMessageID), .int(Int64(eventSequence)), .time(message.sentAt), .time(message.deliveredAt),
        ]
    }
}
