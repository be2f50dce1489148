public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore {
    static let paymentColumns = """
        id, firm_id, phone, amount, sms_rate, estimated_credits, status, failure_code, result_code, result_description, \
        checkout_request_id, merchant_request_id, receipt, paid_amount, paid_at, credits_applied, mode, event_sequence, created_at, updated_at
        """

    public func createPayment(_ payment: NewPayment, limits: PurchaseLimits?, now: Date) async throws -> Payment {
        try await write { connection in
            if let limits {
                try await checkPurchaseLimits(limits, firmID: payment.firmID, phone: payment.phone.e164Digits, on: connection, now: now)
            }
            let rows = try await connection.query(
                """
                INSERT INTO payments (firm_id, phone, amount, sms_rate, estimated_credits, status, mode, callback_token_hash, reconcile_at,
                    sandbox_callback_at, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING \(Self.paymentColumns)
                """,
                [
                    .int(payment.firmID), .text(payment.phone.e164Digits), .int(payment.amount.cents), .int(payment.smsRate.cents),
                    .int(payment.estimatedCredits.units), .text(PaymentStatus.pending.rawValue), .text(payment.mode.rawValue),
                    .text(payment.callbackTokenHash), .time(payment.reconcileAt), .time(payment.sandboxCallbackAt), .time(now),
                ])
            return try Self.payment(from: rows[0])
        }
    }

    /// Throws when one more payment from `firmID` to `phone` would break `limits`. The firm's row is locked first
    /// (PostgreSQL; SQLite's single writer already serialises), so concurrent purchases of one firm count in turn.
    /// Payments whose phone was erased count against every phone of the firm: the firm itself may ask for an erasure,
    /// and erasing the phone must not start its count again.
    private func checkPurchaseLimits(
        _ limits: PurchaseLimits, firmID: Int64, phone: String, on connection: any SQLConnection, now: Date
    ) async throws {
        try await connection.query("SELECT id FROM firms WHERE id = $1\(lockClause)", [.int(firmID)])
        let started = try await connection.query(
            """
            SELECT created_at FROM payments WHERE firm_id = $1 AND (phone = $2 OR phone = $5) AND created_at > $3
            ORDER BY created_at DESC LIMIT $4
            """,
            [
                .int(firmID), .text(phone), .time(now.addingTimeInterval(-PurchaseLimits.window)), .int(Int64(limits.maxPerHour)),
                .text(erasedRecipient),
            ]
        ).map { try $0.time("created_at") }
        let pending = try await connection.query(
            "SELECT COUNT(*) AS pending FROM payments WHERE firm_id = $1 AND (phone = $2 OR phone = $4) AND status = $3",
            [.int(firmID), .text(phone), .text(PaymentStatus.pending.rawValue), .text(erasedRecipient)])[0].int("pending")
        try limits.check(startedInWindow: started, pending: Int(pending), now: now)
    }

    public func recordCheckout(paymentID: Int64, checkoutRequestID: String, merchantRequestID: String?, now: Date) async throws {
        try await write(duplicate: "Checkout request \(checkoutRequestID) belongs to another payment.") { connection in
            try await connection.query(
                "UPDATE payments SET checkout_request_id = $2, merchant_request_id = $3, updated_at = $4 WHERE id = $1",
                [.int(paymentID), .text(checkoutRequestID), .text(merchantRequestID), .time(now)])
        }
    }

    public func payment(firmID: Int64, id: Int64) async throws -> Payment? {
        try await database.read { connection in
            try await connection.query("SELECT \(Self.paymentColumns) FROM payments WHERE id = $1 AND firm_id = $2", [.int(id), .int(firmID)])
                .first.map(Self.payment)
        }
    }

    public func paymentForCallback(id: Int64) async throws -> (payment: Payment, callbackTokenHash: String)? {
        try await database.read { connection in
            guard
                let row = try await connection.query(
                    "SELECT \(Self.paymentColumns), callback_token_hash FROM payments WHERE id = $1", [.int(id)]
                ).first
            else { return nil }
            return (try Self.payment(from: row), try row.text("callback_token_hash"))
        }
    }

    public func settlePaymentChange(id: Int64, outcome: PaymentOutcome, now: Date) async throws -> (before: Payment, after: Payment) {
        try await write(outbox: true) { connection in
            guard let row = try await connection.query("SELECT \(Self.paymentColumns) FROM payments WHERE id = $1\(lockClause)", [.int(id)]).first
            else { throw DomainError(.notFound, "No payment \(id).") }
            let before = try Self.payment(from: row)
            var state = PaymentState(payment: before, eventSequence: Int(try row.int("event_sequence")))
            var receiptTaken = false
            if case .paid(let receipt?, _, _) = outcome {
                receiptTaken = try await !connection.query(
                    "SELECT id FROM payments WHERE receipt = $1 AND id <> $2", [.text(receipt), .int(id)]
                ).isEmpty
            }
            guard let effects = PaymentRules.settle(&state, outcome: outcome, receiptTaken: receiptTaken, now: now) else {
                return (before, state.payment)
            }
            let payment = state.payment
            if let credit = effects.credit {
                _ = try await Self.applyCredits(
                    on: connection, firmID: payment.firmID, amount: credit.credits, kind: .purchase, reference: "payment \(payment.id)",
                    paymentID: payment.id, receipt: credit.receipt, now: now)
            }
            if let receipt = effects.ledgerReceipt {
                try await connection.query(
                    "UPDATE credit_ledger SET receipt = $2 WHERE payment_id = $1 AND kind = 'purchase'", [.int(payment.id), .text(receipt)])
            }
            try await Self.save(state, on: connection)
            if let event = effects.event { try await Self.recordEvent(event, of: payment, on: connection, now: now) }
            return (before, payment)
        }
    }

    public func claimPayments(_ work: PaymentWork, limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [Payment] {
        let due = "\(Self.dueCondition(work)) AND (lease_until IS NULL OR lease_until <= $1)"
        let anyDue = try await database.read { connection in
            try await connection.query("SELECT id FROM payments WHERE \(due) LIMIT 1", [.time(now)])
        }
        guard !anyDue.isEmpty else { return [] }
        let skipLocked = database.dialect == .postgres ? " FOR NO KEY UPDATE SKIP LOCKED" : ""
        let dialect = database.dialect
        return try await write { connection in
            try await connection.query(
                """
                UPDATE payments SET lease_owner = $3, lease_until = $4
                WHERE \(dialect.idIn("SELECT id FROM payments WHERE \(due) ORDER BY id LIMIT $2\(skipLocked)"))
                RETURNING \(Self.paymentColumns)
                """, [.time(now), .int(Int64(limit)), .text(owner), .time(now.addingTimeInterval(lease))]
            ).map(Self.payment).sorted { $0.id < $1.id }
        }
    }

    public func renewPaymentLeases(paymentIDs: [Int64], owner: String, lease: TimeInterval, now: Date) async throws -> Set<Int64> {
        try await renewLeases(in: "payments", held: nil, ids: paymentIDs, owner: owner, lease: lease, now: now)
    }

    public func releasePayment(id: Int64, _ work: PaymentWork, owner: String, nextCheck: Date) async throws -> Bool {
        let next = work == .statusQuery ? "reconcile_at = $3" : "sandbox_callback_at = NULL"
        return try await write { connection in
            !(try await connection.query(
                "UPDATE payments SET lease_owner = NULL, lease_until = NULL, \(next) WHERE id = $1 AND lease_owner = $2 RETURNING id",
                [.int(id), .text(owner)] + (work == .statusQuery ? [.time(nextCheck)] : [])
            ).isEmpty)
        }
    }

    /// Which payments `work` is due for at `$1`.
    private static func dueCondition(_ work: PaymentWork) -> String {
        switch work {
        case .statusQuery: "status = 'Pending' AND reconcile_at <= $1"
        case .sandboxCallback: "sandbox_callback_at IS NOT NULL AND sandbox_callback_at <= $1"
        }
    }

    public func paymentEvents(firmID: Int64, paymentID: Int64) async throws -> [PaymentEvent] {
        try await database.read { connection in
            try await connection.query(
                "SELECT \(Self.paymentEventColumns) FROM payment_events WHERE payment_id = $1 AND firm_id = $2 ORDER BY sequence",
                [.int(paymentID), .int(firmID)]
            ).map(Self.paymentEvent)
        }
    }

    /// Writes what settling changed: the payment's fields and its event counter.
    private static func save(_ state: PaymentState, on connection: any SQLConnection) async throws {
        let payment = state.payment
        try await connection.query(
            """
            UPDATE payments SET status = $2, failure_code = $3, result_code = $4, result_description = $5, receipt = $6, paid_amount = $7,
                paid_at = $8, credits_applied = $9, updated_at = $10, event_sequence = $11,
                sandbox_callback_at = CASE WHEN $2 = 'Pending' THEN sandbox_callback_at END
            WHERE id = $1
            """,
            [
                .int(payment.id), .text(payment.status.rawValue), .text(payment.failure?.rawValue), .int(payment.resultCode.map(Int64.init)),
                .text(payment.resultDescription), .text(payment.receipt), .int(payment.paidAmount?.cents), .time(payment.paidAt),
                .int(payment.creditsApplied.units), .time(payment.updatedAt), .int(Int64(state.eventSequence)),
            ])
    }

    /// Writes the payment's event and, for a firm with a working webhook, its delivery (the outbox).
    private static func recordEvent(_ event: PaymentStatusEvent, of payment: Payment, on connection: any SQLConnection, now: Date) async throws {
        let inserted = try await connection.query(
            """
            INSERT INTO payment_events (firm_id, payment_id, sequence, event, status, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
            """, [.int(payment.firmID), .int(payment.id), .int(Int64(event.sequence)), .text(event.name), .text(event.status.rawValue), .time(now)])
        try await connection.query(
            """
            INSERT INTO webhook_deliveries (firm_id, payment_event_id, payment_id, sequence, status, next_attempt_at, created_at)
            SELECT id, $2, $3, $4, 'pending', $5, $5 FROM firms
            WHERE id = $1 AND webhook_url IS NOT NULL AND webhook_disabled_at IS NULL
            """, [.int(payment.firmID), .int(try inserted[0].int("id")), .int(payment.id), .int(Int64(event.sequence)), .time(now)])
    }

    static let paymentEventColumns = "id, firm_id, payment_id, sequence, event, status, occurred_at"

    static func paymentEvent(from row: SQLRow) throws -> PaymentEvent {
        PaymentEvent(
            id: try row.int("id"), firmID: try row.int("firm_id"), paymentID: try row.int("payment_id"), sequence: Int(try row.int("sequence")),
            event: try row.text("event"), status: try row.value("status", as: PaymentStatus.self), occurredAt: try row.time("occurred_at"))
    }

    static func payment(from row: SQLRow) throws -> Payment {
        Payment(
            id: try row.int("id"), firmID: try row.int("firm_id"), phone: try row.text("phone"), amount: KES(cents: try row.int("amount")),
            smsRate: KES(cents: try row.int("sms_rate")), estimatedCredits: Credits(units: try row.int("estimated_credits")),
            status: try row.value("status", as: PaymentStatus.self),
            failure: try row.optionalText("failure_code").flatMap(PaymentFailure.init(rawValue:)),
            resultCode: try row.optionalInt("result_code").map(Int.init), resultDescription: try row.optionalText("result_description"),
            checkoutRequestID: try row.optionalText("checkout_request_id"), merchantRequestID: try row.optionalText("merchant_request_id"),
            receipt: try row.optionalText("receipt"), paidAmount: try row.optionalInt("paid_amount").map(KES.init(cents:)),
            paidAt: try row.optionalTime("paid_at"), creditsApplied: Credits(units: try row.int("credits_applied")),
            mode: try row.value("mode", as: FirmMode.self), createdAt: try row.time("created_at"), updatedAt: try row.time("updated_at"))
    }
}
