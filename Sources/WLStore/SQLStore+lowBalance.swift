public import Foundation
import Logging
public import WLDomain
import WLPorts

/// A firm's low-balance state after a change of its balance, as read in the changing transaction.
struct LowBalanceState: Sendable {
    var firmID: Int64
    var balance: Credits
    var threshold: Credits?
    var alerted: Bool
}

extension SQLStore {
    static let creditEventColumns = "id, firm_id, event, balance, threshold, occurred_at"

    static func creditEvent(from row: SQLRow) throws -> CreditEvent {
        CreditEvent(
            id: try row.int("id"), firmID: try row.int("firm_id"), event: try row.text("event"), balance: Credits(units: try row.int("balance")),
            threshold: Credits(units: try row.int("threshold")), occurredAt: try row.time("occurred_at"))
    }

    /// Applies ``LowBalanceRule`` to firms whose balance just changed, in the caller's transaction: a firm moving
    /// into low gets its alert marked and a credit event with its webhook delivery; one back above its threshold is
    /// re-armed. Writes nothing (and costs no statement) when no firm changes state, which is nearly always.
    static func applyLowBalance(_ states: [LowBalanceState], on connection: any SQLConnection, now: Date) async throws {
        for state in states {
            let decision = LowBalanceRule.decide(balance: state.balance, threshold: state.threshold, alerted: state.alerted)
            guard decision.alerted != state.alerted else { continue }
            try await connection.query(
                "UPDATE firms SET low_balance_alerted = $2 WHERE id = $1", [.int(state.firmID), .int(decision.alerted ? 1 : 0)])
            guard decision.fire, let threshold = state.threshold else { continue }
            let inserted = try await connection.query(
                """
                INSERT INTO credit_events (firm_id, event, balance, threshold, occurred_at) VALUES ($1, $2, $3, $4, $5) RETURNING id
                """, [.int(state.firmID), .text(LowBalanceRule.eventName), .int(state.balance.units), .int(threshold.units), .time(now)])
            try await connection.query(
                """
                INSERT INTO webhook_deliveries (firm_id, credit_event_id, sequence, status, next_attempt_at, created_at)
                SELECT id, $2, 1, 'pending', $3, $3 FROM firms WHERE id = $1 AND webhook_url IS NOT NULL AND webhook_disabled_at IS NULL
                """, [.int(state.firmID), .int(try inserted[0].int("id")), .time(now)])
            lowBalanceLogger.warning(
                "SMS credits low", metadata: ["firm_id": "\(state.firmID)", "sms_credits": "\(state.balance)", "threshold": "\(threshold)"])
        }
    }

    /// The state of a firm row read with `low_balance_threshold` and `low_balance_alerted` beside `sms_credits`.
    static func lowBalanceState(_ row: SQLRow, firmID: Int64) throws -> LowBalanceState {
        LowBalanceState(
            firmID: firmID, balance: Credits(units: try row.int("sms_credits")),
            threshold: try row.optionalInt("low_balance_threshold").map(Credits.init(units:)), alerted: try row.int("low_balance_alerted") != 0)
    }

    public func setLowBalanceThreshold(firmID: Int64, _ threshold: Credits?, now: Date) async throws -> Firm {
        let lock = lockClause
        return try await write(outbox: true) { connection in
            guard
                let current = try await connection.query(
                    "SELECT low_balance_threshold, low_balance_alerted FROM firms WHERE id = $1\(lock)", [.int(firmID)]
                ).first
            else { throw DomainError(.notFound, "No firm with id \(firmID).") }
            let alerted = LowBalanceRule.alerted(
                afterSetting: threshold, previous: try current.optionalInt("low_balance_threshold").map(Credits.init(units:)),
                alerted: try current.int("low_balance_alerted") != 0)
            let row = try await connection.query(
                "UPDATE firms SET low_balance_alerted = $2, low_balance_threshold = $3 WHERE id = $1 RETURNING \(Self.firmColumns)",
                [.int(firmID), .int(alerted ? 1 : 0), .int(threshold?.units)])[0]
            let firm = try Self.firm(from: row)
            try await Self.applyLowBalance(
                [LowBalanceState(firmID: firmID, balance: firm.smsCredits, threshold: threshold, alerted: alerted)],
                on: connection, now: now)
            return firm
        }
    }
}

/// Low-balance alerts are also logged, for operators without a webhook.
private let lowBalanceLogger = Logger(label: "wlcomm.credits")
