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
        try await write(outbox: true) { connection in
            // A new threshold starts un-fired, and is checked against the balance at once; the same threshold again
            // keeps its state, so saving the form twice does not fire the alert twice.
            guard
                let row = try await connection.query(
                    """
                    UPDATE firms SET low_balance_alerted = CASE WHEN low_balance_threshold IS NOT DISTINCT FROM $2 THEN low_balance_alerted ELSE 0 END,
                        low_balance_threshold = $2
                    WHERE id = $1 RETURNING low_balance_alerted, \(Self.firmColumns)
                    """,
                    [.int(firmID), .int(threshold?.units)]
                ).first
            else { throw DomainError(.notFound, "No firm with id \(firmID).") }
            let firm = try Self.firm(from: row)
            try await Self.applyLowBalance(
                [LowBalanceState(firmID: firmID, balance: firm.smsCredits, threshold: threshold, alerted: try row.int("low_balance_alerted") != 0)],
                on: connection, now: now)
            return firm
        }
    }
}

/// Low-balance alerts are also logged, for operators without a webhook.
private let lowBalanceLogger = Logger(label: "wlcomm.credits")
