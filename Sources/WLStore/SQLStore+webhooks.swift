public import Foundation
import WLDomain
public import WLPorts

extension SQLStore {
    public func claimWebhookDeliveries(
        limit: Int, owner: String, lease: TimeInterval, now: Date, excludingFirms: Set<Int64>
    ) async throws
        -> [WebhookDelivery]
    {
        let skipLocked = database.dialect == .postgres ? " FOR NO KEY UPDATE OF d SKIP LOCKED" : ""
        // A plain read first (an idle deliverer polls without taking SQLite's single writer): the firms that have a
        // due delivery, found by walking the pending index one firm at a time.
        let dialect = database.dialect
        let due = try await database.read { connection in
            try await connection.query(
                Self.firmsWithDueDeliveries(dialect), [.time(now), Self.idRows.parameter(excludingFirms.sorted().map { [.int($0)] })]
            ).map { try $0.int("id") }
        }
        // More firms due than one claim takes from: a random choice of them, in id order, so that firms whose due
        // deliveries all wait behind an earlier event (endpoints failing) cannot take every place claim after claim.
        let firmIDs = due.count > Self.firmsPerClaim ? due.shuffled().prefix(Self.firmsPerClaim).sorted() : due
        guard !firmIDs.isEmpty else { return [] }
        return try await write { connection in
            // Read again in the claim's transaction: an endpoint disabled since the list was read (a 410 answered to
            // another lane) gets no more deliveries leased.
            let working = Set(
                try await connection.query(
                    """
                    SELECT id FROM firms
                    WHERE \(Self.idRows.matches("id", dialect, parameter: 1)) AND webhook_url IS NOT NULL AND webhook_disabled_at IS NULL
                    """,
                    [Self.idRows.parameter(firmIDs.map { [.int($0)] })]
                ).map { try $0.int("id") })
            var claimed: [SQLRow] = []
            for firmID in firmIDs.prefix(Self.firmsPerClaim) where claimed.count < limit && working.contains(firmID) {
                claimed += try await connection.query(
                    """
                    UPDATE webhook_deliveries SET lease_owner = $2, lease_until = $3
                    WHERE \(dialect.idIn("\(Self.dueDeliveries(dialect))\(skipLocked)"))
                    RETURNING id, firm_id, event_id, message_id, payment_event_id, payment_id, credit_event_id, attempts
                    """,
                    [.time(now), .text(owner), .time(now.addingTimeInterval(lease)), .int(Int64(limit - claimed.count)), .int(firmID)])
            }
            guard !claimed.isEmpty else { return [] }
            let events = try await Self.byID(
                connection, dialect, "SELECT id, firm_id, message_id, sequence, event, status, response, occurred_at FROM message_events",
                ids: try claimed.compactMap { try $0.optionalInt("event_id") }, Self.event)
            let messages = try await Self.byID(
                connection, dialect, "SELECT \(MessageRow.columns) FROM messages", ids: try claimed.compactMap { try $0.optionalInt("message_id") }
            ) { try MessageRow(row: $0).message }
            let paymentEvents = try await Self.byID(
                connection, dialect, "SELECT \(Self.paymentEventColumns) FROM payment_events",
                ids: try claimed.compactMap { try $0.optionalInt("payment_event_id") }, Self.paymentEvent)
            let payments = try await Self.byID(
                connection, dialect, "SELECT \(Self.paymentColumns) FROM payments", ids: try claimed.compactMap { try $0.optionalInt("payment_id") },
                Self.payment)
            let creditEvents = try await Self.byID(
                connection, dialect, "SELECT \(Self.creditEventColumns) FROM credit_events",
                ids: try claimed.compactMap { try $0.optionalInt("credit_event_id") }, Self.creditEvent)
            let firms = try await Self.byID(
                connection, dialect,
                "SELECT id, webhook_url, webhook_secret, webhook_previous_secret, webhook_previous_secret_until, timezone FROM firms",
                ids: try claimed.map { try $0.int("firm_id") }
            ) { $0 }
            // Each firm's secrets opened once per claim, not once per delivery.
            var endpoints: [Int64: (url: String, secret: String?, previousSecret: String?, timezone: String)] = [:]
            for (firmID, firm) in firms {
                guard let url = try firm.optionalText("webhook_url") else { continue }
                endpoints[firmID] = (
                    url, try openSecret(firm.optionalText("webhook_secret"), at: "firms.webhook_secret of firm \(firmID)"),
                    try firm.optionalTime("webhook_previous_secret_until").map { $0 > now } == true
                        ? try openSecret(firm.optionalText("webhook_previous_secret"), at: "firms.webhook_previous_secret of firm \(firmID)") : nil,
                    try firm.text("timezone")
                )
            }
            return try claimed.compactMap { row in
                let subject: WebhookSubject
                if let event = try row.optionalInt("event_id").flatMap({ events[$0] }),
                    let message = try row.optionalInt("message_id").flatMap({ messages[$0] })
                {
                    subject = .message(event, message)
                } else if let event = try row.optionalInt("payment_event_id").flatMap({ paymentEvents[$0] }),
                    let payment = try row.optionalInt("payment_id").flatMap({ payments[$0] })
                {
                    subject = .payment(event, payment)
                } else if let event = try row.optionalInt("credit_event_id").flatMap({ creditEvents[$0] }) {
                    subject = .credits(event)
                } else {
                    return nil
                }
                let firmID = try row.int("firm_id")
                guard let endpoint = endpoints[firmID] else { return nil }
                return WebhookDelivery(
                    id: try row.int("id"), firmID: firmID, attempts: Int(try row.int("attempts")), url: endpoint.url, secret: endpoint.secret,
                    previousSecret: endpoint.previousSecret, timezone: endpoint.timezone, subject: subject)
            }.sorted { $0.id < $1.id }
        }
    }

    /// The most firms one claim takes deliveries from (one statement each), chosen at random when more are due: the
    /// firms it takes become busy and are skipped by the next claim, and those it could take nothing from are as
    /// likely as any other to be left out of the next. A firm is in a claim's choice with a chance of 32 in the number
    /// due, so with D firms due it waits D/32 claims on average (500 failing firms and one healthy: about 16 claims,
    /// 8 s at the idle poll).
    static let firmsPerClaim = 32

    /// The first `$4` deliveries of firm `$5` due at `$1`, not leased, and not waiting for an earlier event of their
    /// message or payment. On PostgreSQL "pending" is part of the key each wait test looks up, so only the indexes
    /// of migration 18 can serve those tests (see ``Migration/waitingDeliveries``).
    static func dueDeliveries(_ dialect: SQLDialect) -> String {
        """
        SELECT d.id FROM webhook_deliveries d
        WHERE d.firm_id = $5 AND d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1)
        AND \(notWaiting(dialect))
        ORDER BY d.next_attempt_at, d.id LIMIT $4
        """
    }

    /// Delivery `d` waits for no earlier event of its message or payment that is still pending.
    private static func notWaiting(_ dialect: SQLDialect) -> String {
        let waiting = { (column: String) in
            switch dialect {
            case .postgres: "(CASE WHEN e.status = 'pending' THEN e.\(column) END) = d.\(column)"
            case .sqlite: "e.\(column) = d.\(column) AND e.status = 'pending'"
            }
        }
        return """
            NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE \(waiting("message_id")) AND e.sequence < d.sequence)
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE \(waiting("payment_id")) AND e.sequence < d.sequence)
            """
    }

    /// The firms with a working webhook and a delivery due at `$1` and not leased, in id order, leaving out the firms
    /// in `$2` (those whose lanes are all busy): the pending index is walked one firm at a time (a loose index scan),
    /// so the cost grows with the number of firms, not with their backlogs. A busy firm is left out before its due
    /// test, which would otherwise step over every delivery its lanes hold (each woken claim during a blast made that
    /// walk for nothing). The wait tests are left to the claim: here they would step over every blocked delivery of
    /// every firm (a failing endpoint's later events are due behind its first), and cost PostgreSQL's webhook phase
    /// a tenth even with none blocked.
    private static func firmsWithDueDeliveries(_ dialect: SQLDialect) -> String {
        """
        WITH RECURSIVE pending (firm_id) AS (
            SELECT min(firm_id) FROM webhook_deliveries WHERE status = 'pending'
            UNION ALL
            SELECT (SELECT min(w.firm_id) FROM webhook_deliveries w WHERE w.status = 'pending' AND w.firm_id > pending.firm_id)
            FROM pending WHERE pending.firm_id IS NOT NULL
        )
        SELECT f.id FROM pending p JOIN firms f ON f.id = p.firm_id
        WHERE NOT (\(idRows.matches("f.id", dialect, parameter: 2))) AND f.webhook_url IS NOT NULL AND f.webhook_disabled_at IS NULL
        AND EXISTS (
            SELECT 1 FROM webhook_deliveries d WHERE d.firm_id = f.id AND d.status = 'pending' AND d.next_attempt_at <= $1
            AND (d.lease_until IS NULL OR d.lease_until <= $1))
        ORDER BY f.id
        """
    }

    /// Rows of `select` whose `id` is in `ids`, keyed by id: one statement, the ids as one parameter, so its text is
    /// the same whatever their number.
    static func byID<T>(
        _ connection: any SQLConnection, _ dialect: SQLDialect, _ select: String, ids: [Int64], _ transform: (SQLRow) throws -> T
    ) async throws -> [Int64: T] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int64: T] = [:]
        let rows = try await connection.query(
            "\(select) WHERE \(idRows.matches("id", dialect, parameter: 1))", [idRows.parameter(Set(ids).sorted().map { [.int($0)] })]
        )
        for row in rows {
            result[try row.int("id")] = try transform(row)
        }
        return result
    }

    static func event(from row: SQLRow) throws -> MessageEvent {
        MessageEvent(
            id: try row.int("id"), firmID: try row.int("firm_id"), messageID: try row.int("message_id"), sequence: Int(try row.int("sequence")),
            event: try row.text("event"), status: try row.value("status", as: MessageStatus.self), response: try row.text("response"),
            occurredAt: try row.time("occurred_at"))
    }
}
