public import Foundation
public import WLDomain
import WLPorts

/// The write side of the webhook queue: lease renewal, and attempts recorded set-based (a constant number of
/// statements per batch, the rows as one JSON parameter each, see ``SQLSet``); PostgreSQL writes a batch in one
/// statement of data-modifying CTEs, SQLite runs the same parts one after another in the same transaction.
extension SQLStore {
    static let deliveryChanges = SQLSet([
        ("id", .int), ("status", .text), ("attempts", .int), ("next_attempt_at", .int), ("lease_owner", .text), ("lease_until", .int),
        ("last_status_code", .int), ("last_error", .text), ("completed_at", .int),
    ])
    static let attemptRows = SQLSet([
        ("delivery_id", .int), ("firm_id", .int), ("attempt", .int), ("started_at", .int), ("status_code", .int), ("latency_ms", .int),
        ("error", .text),
    ])
    static let endpointChanges = SQLSet([
        ("id", .int), ("failing_since", .int), ("last_failure_at", .int), ("disabled_at", .int), ("disabled_reason", .text),
    ])

    public func renewWebhookLeases(deliveryIDs: [Int64], owner: String, lease: TimeInterval, now: Date) async throws -> Set<Int64> {
        try await renewLeases(in: "webhook_deliveries", held: "status = 'pending'", ids: deliveryIDs, owner: owner, lease: lease, now: now)
    }

    public func recordWebhookAttempts(_ attempts: [WebhookAttemptReport], leaseOwner: String) async throws -> Set<Int64> {
        guard !attempts.isEmpty else { return [] }
        let dialect = database.dialect
        return try await write { connection in
            let lockedDeliveries = try await Self.lockedDeliveries(ids: attempts.map(\.deliveryID), dialect: dialect, on: connection)
            let firmIDs = Set(lockedDeliveries.values.filter { $0.leaseOwner == leaseOwner }.map(\.firmID))
            // The endpoints are read without a lock first: in the usual case (successes on a healthy endpoint) nothing
            // about them changes, and this transaction is as if it ran before any concurrent one that does change
            // them. Only when an endpoint would change are they locked and everything decided again, so recording
            // webhook attempts does not queue behind the dispatcher's lock on the same firm rows.
            var endpointsBefore = try await Self.endpoints(firmIDs: firmIDs, lock: false, dialect: dialect, on: connection)
            var decided = Self.decide(attempts, leaseOwner: leaseOwner, deliveries: lockedDeliveries, endpoints: endpointsBefore)
            if decided.endpoints != endpointsBefore, dialect == .postgres {
                endpointsBefore = try await Self.endpoints(firmIDs: firmIDs, lock: true, dialect: dialect, on: connection)
                decided = Self.decide(attempts, leaseOwner: leaseOwner, deliveries: lockedDeliveries, endpoints: endpointsBefore)
            }
            let (deliveries, endpoints, rows, recorded) = (decided.deliveries, decided.endpoints, decided.rows, decided.recorded)
            guard !recorded.isEmpty else { return [] }
            let changedDeliveries = Set(recorded).sorted().compactMap { deliveries[$0] }
            let changedEndpoints = endpoints.filter { endpointsBefore[$0.key] != $0.value }.sorted { $0.key < $1.key }
            var parts: [(sql: (Int) -> String, rows: SQLValue)] = [
                (
                    { "\(Self.insertAttempts) FROM \(Self.attemptRows.source(dialect, parameter: $0))" },
                    Self.attemptRows.parameter(rows)
                ),
                (
                    {
                        let changes = Self.deliveryChanges.source(dialect, parameter: $0)
                        let indexed = Self.indexed("webhook_deliveries.id", Self.deliveryChanges, dialect, $0)
                        return "\(Self.updateDeliveries) FROM \(changes) WHERE webhook_deliveries.id = v.id\(indexed)"
                    },
                    Self.deliveryChanges.parameter(changedDeliveries.map(\.columnValues))
                ),
            ]
            if !changedEndpoints.isEmpty {
                parts.append(
                    (
                        { "\(Self.updateEndpoints) FROM \(Self.endpointChanges.source(dialect, parameter: $0)) WHERE firms.id = v.id" },
                        Self.endpointChanges.parameter(
                            changedEndpoints.map {
                                [
                                    .int($0.key), .time($0.value.failingSince), .time($0.value.lastFailureAt), .time($0.value.disabledAt),
                                    .text($0.value.disabledReason),
                                ]
                            })
                    ))
            }
            switch dialect {
            case .postgres:
                let ctes = parts.indices.map { "w\($0) AS (\(parts[$0].sql($0 + 1)))" }
                try await connection.query("WITH \(ctes.joined(separator: ", ")) SELECT 1", parts.map(\.rows))
            case .sqlite:
                for part in parts { try await connection.query(part.sql(1), [part.rows]) }
            }
            return Set(recorded)
        }
    }

    /// Reads and (on PostgreSQL) locks these deliveries, in id order.
    static func lockedDeliveries(ids: [Int64], dialect: SQLDialect, on connection: any SQLConnection) async throws -> [Int64: WebhookDeliveryState] {
        let lock = dialect == .postgres ? " FOR NO KEY UPDATE" : ""
        let rows = try await connection.query(
            """
            SELECT id, firm_id, status, attempts, next_attempt_at, lease_owner, lease_until, last_status_code, last_error, completed_at
            FROM webhook_deliveries WHERE \(idRows.matches("id", dialect, parameter: 1)) ORDER BY id\(lock)
            """, [idRows.parameter(Set(ids).sorted().map { [.int($0)] })])
        var deliveries: [Int64: WebhookDeliveryState] = [:]
        for row in rows {
            let id = try row.int("id")
            deliveries[id] = WebhookDeliveryState(
                id: id, firmID: try row.int("firm_id"), status: try row.value("status", as: WebhookDeliveryStatus.self),
                attempts: Int(try row.int("attempts")), nextAttemptAt: try row.time("next_attempt_at"),
                leaseOwner: try row.optionalText("lease_owner"),
                leaseUntil: try row.optionalTime("lease_until"), lastStatusCode: try row.optionalInt("last_status_code").map(Int.init),
                lastError: try row.optionalText("last_error"), completedAt: try row.optionalTime("completed_at"))
        }
        return deliveries
    }

    /// What ``WebhookRules`` makes of `attempts`: the deliveries and endpoints after them, the attempt rows to insert
    /// and the deliveries recorded.
    static func decide(
        _ attempts: [WebhookAttemptReport], leaseOwner: String, deliveries: [Int64: WebhookDeliveryState],
        endpoints: [Int64: WebhookEndpointHealth]
    ) -> (deliveries: [Int64: WebhookDeliveryState], endpoints: [Int64: WebhookEndpointHealth], rows: [[SQLValue]], recorded: [Int64]) {
        var deliveries = deliveries
        var endpoints = endpoints
        var rows: [[SQLValue]] = []
        var recorded: [Int64] = []
        for report in attempts {
            guard var delivery = deliveries[report.deliveryID], var endpoint = endpoints[delivery.firmID] else { continue }
            guard WebhookRules.apply(report, leaseOwner: leaseOwner, to: &delivery, endpoint: &endpoint) != nil else { continue }
            deliveries[delivery.id] = delivery
            endpoints[delivery.firmID] = endpoint
            recorded.append(delivery.id)
            rows.append([
                .int(delivery.id), .int(delivery.firmID), .int(Int64(delivery.attempts)), .time(report.startedAt),
                .int(report.statusCode.map(Int64.init)), .int(Int64(report.latencyMilliseconds)), .text(report.error),
            ])
        }
        return (deliveries, endpoints, rows, recorded)
    }

    /// Reads these firms' webhook health, in id order (after the deliveries, always), and with `lock` locks them on
    /// PostgreSQL.
    static func endpoints(
        firmIDs: Set<Int64>, lock: Bool, dialect: SQLDialect, on connection: any SQLConnection
    ) async throws -> [Int64: WebhookEndpointHealth] {
        guard !firmIDs.isEmpty else { return [:] }
        let lock = lock && dialect == .postgres ? " FOR NO KEY UPDATE" : ""
        let rows = try await connection.query(
            """
            SELECT id, webhook_url, webhook_failing_since, webhook_last_failure_at, webhook_disabled_at, webhook_disabled_reason
            FROM firms WHERE \(idRows.matches("id", dialect, parameter: 1)) ORDER BY id\(lock)
            """, [idRows.parameter(firmIDs.sorted().map { [.int($0)] })])
        var endpoints: [Int64: WebhookEndpointHealth] = [:]
        for row in rows {
            endpoints[try row.int("id")] = WebhookEndpointHealth(
                url: try row.optionalText("webhook_url"), failingSince: try row.optionalTime("webhook_failing_since"),
                lastFailureAt: try row.optionalTime("webhook_last_failure_at"), disabledAt: try row.optionalTime("webhook_disabled_at"),
                disabledReason: try row.optionalText("webhook_disabled_reason"))
        }
        return endpoints
    }

    private static let insertAttempts = """
        INSERT INTO webhook_attempts (delivery_id, firm_id, attempt, started_at, status_code, latency_ms, error)
        SELECT v.delivery_id, v.firm_id, v.attempt, v.started_at, v.status_code, v.latency_ms, v.error
        """

    private static let updateDeliveries =
        "UPDATE webhook_deliveries SET "
        + deliveryChanges.columns.dropFirst().map { "\($0.name) = v.\($0.name)" }
        .joined(separator: ", ")

    private static let updateEndpoints = """
        UPDATE firms SET webhook_failing_since = v.failing_since, webhook_last_failure_at = v.last_failure_at, webhook_disabled_at = v.disabled_at,
            webhook_disabled_reason = v.disabled_reason
        """
}

extension WebhookDeliveryState {
    /// The values of ``SQLStore/deliveryChanges``' columns.
    var columnValues: [SQLValue] {
        [
            .int(id), .text(status.rawValue), .int(Int64(attempts)), .time(nextAttemptAt), .text(leaseOwner), .time(leaseUntil),
            .int(lastStatusCode.map(Int64.init)), .text(lastError), .time(completedAt),
        ]
    }
}
