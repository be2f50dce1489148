public import Foundation
public import Logging
public import WLDomain
public import WLPorts

/// A payment and the firm's balance now, as `GET /sms-credits/purchase/{id}` shows them.
public struct PaymentView: Sendable {
    public var payment: Payment
    public var firmCredits: Credits
    public var timezone: String
}

/// Buying SMS credits with M-Pesa: starts STK pushes, takes M-Pesa's callbacks, and settles payments exactly once.
public struct PaymentService: Sendable {
    /// How long after the push the first status query is made (and between queries while M-Pesa is processing).
    public var reconcileAfter: TimeInterval
    /// When the sandbox's simulated callback arrives after the purchase.
    public static let sandboxCallbackDelay: TimeInterval = 0.5
    /// A payment still pending this long after its push is failed as expired.
    public static let expiry: TimeInterval = 86_400
    /// How many prompts one firm may send to one phone (pending at once, and per rolling hour).
    public var limits: PurchaseLimits

    let store: any Store
    let time: any TimeSource
    let live: any PaymentGateway
    let sandbox: any PaymentGateway
    let signal: WorkSignal?
    let logger: Logger
    let metrics: any WorkMetrics

    public init(
        store: any Store, time: any TimeSource, live: any PaymentGateway, sandbox: any PaymentGateway = SandboxPaymentGateway(),
        reconcileAfter: TimeInterval = 60, limits: PurchaseLimits = PurchaseLimits(), signal: WorkSignal? = nil, logger: Logger,
        metrics: any WorkMetrics = NoWorkMetrics()
    ) {
        self.metrics = metrics
        self.store = store
        self.time = time
        self.live = live
        self.sandbox = sandbox
        self.reconcileAfter = reconcileAfter
        self.limits = limits
        self.signal = signal
        self.logger = logger
    }

    /// The gateway for a firm or payment of `mode`.
    func gateway(for mode: FirmMode) -> any PaymentGateway { mode == .sandbox ? sandbox : live }

    /// Records the purchase and starts its STK push.
    /// - Throws: `.validation`; `.rateLimited` with a retry-after when the phone has ``PurchaseLimits`` prompts from the firm
    ///   waiting, or had them in the past hour (nothing is recorded); `.paymentProviderUnavailable` when M-Pesa refused the
    ///   push (the payment is then failed).
    public func purchase(_ request: PurchaseRequest, firm authenticated: Firm) async throws -> PaymentView {
        let valid = try request.validated()
        let now = time.now
        // The price is money: read it fresh, not from an authentication kept for a moment.
        let firm = try await store.firm(id: authenticated.id) ?? authenticated
        let token = CallbackToken()
        var sandboxCallbackAt: Date?
        if firm.mode == .sandbox {
            let preview = SandboxPayer.behaviour(phone: valid.phone.e164Digits, amount: valid.amount, receipt: "", at: now)
            if preview.callbacks > 0 { sandboxCallbackAt = now.addingTimeInterval(Self.sandboxCallbackDelay) }
        }
        var payment: Payment
        do {
            payment = try await store.createPayment(
                NewPayment(
                    firmID: firm.id, phone: valid.phone, amount: valid.amount, smsRate: firm.smsRate, mode: firm.mode,
                    callbackTokenHash: token.hash, reconcileAt: now.addingTimeInterval(reconcileAfter), sandboxCallbackAt: sandboxCallbackAt),
                limits: limits, now: now)
        } catch let refused as PurchaseLimitExceeded {
            throw refusal(refused, phone: valid.phone.e164Digits, now: now)
        }
        let push = PushRequest(
            paymentID: payment.id, phone: payment.phone, amount: payment.amount, callbackPath: "/callbacks/mpesa/stk/\(payment.id)/\(token.value)")
        do {
            let accepted = try await gateway(for: firm.mode).requestPush(push)
            payment.checkoutRequestID = accepted.checkoutRequestID
            payment.merchantRequestID = accepted.merchantRequestID
            await record(accepted, paymentID: payment.id)
        } catch PushError.refused(let reason) {
            logger.warning("STK push refused", metadata: ["payment_id": "\(payment.id)", "reason": "\(reason)"])
            _ = try await store.settlePayment(id: payment.id, outcome: .pushFailed(reason: reason), now: time.now)
            metrics.payment(status: PaymentStatus.failed.rawValue)
            throw DomainError(
                .paymentProviderUnavailable, "M-Pesa could not start the payment (\(reason)); payment \(payment.id) is marked failed. Try again.")
        } catch PushError.unconfirmed(let reason) {
            // The prompt may be on the phone: the payment stays pending; reconciliation fails it later, as nothing can be asked.
            logger.warning("STK push unconfirmed", metadata: ["payment_id": "\(payment.id)", "reason": "\(reason)"])
        }
        signal?.signal()
        // The prompt may be on the phone by now: no error may reach the caller from here on, as its retry would
        // prompt again. The balance read before the push stands in should this read fail.
        let credits = (try? await balance(firmID: firm.id)) ?? firm.smsCredits
        return PaymentView(payment: payment, firmCredits: credits, timezone: firm.timezone)
    }

    /// How often the checkout ids of an accepted push are tried to be stored, a short pause growing between tries.
    static let checkoutRecordAttempts = 3

    /// Stores the checkout ids of a push M-Pesa accepted. The prompt is on the payer's phone, so a failure must not
    /// answer the request with an error (a retry would prompt again): a few tries, then an error line with the ids.
    /// Without them reconciliation cannot ask about the payment; its callback still settles it.
    private func record(_ accepted: PushAccepted, paymentID: Int64) async {
        for attempt in 1...Self.checkoutRecordAttempts {
            do {
                try await store.recordCheckout(
                    paymentID: paymentID, checkoutRequestID: accepted.checkoutRequestID, merchantRequestID: accepted.merchantRequestID,
                    now: time.now)
                return
            } catch {
                guard attempt < Self.checkoutRecordAttempts, !Task.isCancelled else {
                    logger.error(
                        "an accepted STK push's checkout ids could not be stored; its callback still settles it, reconciliation cannot",
                        metadata: [
                            "payment_id": "\(paymentID)", "checkout_request_id": "\(accepted.checkoutRequestID)", "error": "\(error)",
                        ])
                    return
                }
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    /// The 429 for a purchase over the limits. For the hourly limit, `Retry-After` is when a slot frees; for pending
    /// prompts nobody knows when the payer answers, so it is the reconcile interval, after which reconciliation first
    /// asks M-Pesa about a prompt left unanswered.
    func refusal(_ refused: PurchaseLimitExceeded, phone: String, now: Date) -> DomainError {
        func prompts(_ count: Int) -> String { count == 1 ? "1 M-Pesa prompt" : "\(count) M-Pesa prompts" }
        switch refused {
        case .pending(let limit):
            return DomainError(
                .rateLimited, "At most \(prompts(limit)) may wait on \(phone) at once; try again when one is answered.",
                retryAfter: max(1, Int(reconcileAfter.rounded(.up))))
        case .hourly(let limit, let freeAt):
            let wait = max(1, Int(freeAt.timeIntervalSince(now).rounded(.up)))
            return DomainError(
                .rateLimited, "At most \(prompts(limit)) may be sent to \(phone) in an hour; try again in \(wait) s.", retryAfter: wait)
        }
    }

    /// One of the firm's payments.
    /// - Throws: `.notFound` for an unknown id or another firm's.
    public func payment(id: Int64, firm: Firm) async throws -> PaymentView {
        guard let payment = try await store.payment(firmID: firm.id, id: id) else { throw DomainError(.notFound, "No payment \(id).") }
        return PaymentView(payment: payment, firmCredits: try await balance(firmID: firm.id), timezone: firm.timezone)
    }

    /// Takes Daraja's callback for a payment, once its token matches.
    /// A body that is not an STK callback is logged and acknowledged like any other (M-Pesa would only send it again);
    /// reconciliation settles the payment.
    /// - Throws: `.notFound` for an unknown payment or a wrong token (the same answer for both).
    public func callback(paymentID: Int64, token: String, body: Data) async throws {
        guard let found = try await store.paymentForCallback(id: paymentID),
            ConstantTime.equal(CallbackToken.hash(token), found.callbackTokenHash)
        else { throw DomainError(.notFound, "Not Found") }
        let callback: MpesaCallback
        do {
            callback = try JSONDecoder().decode(MpesaCallback.self, from: body)
        } catch {
            logger.error(
                "unreadable M-Pesa callback; reconciliation will settle the payment",
                metadata: ["payment_id": "\(paymentID)", "bytes": "\(body.count)"])
            return
        }
        if let expected = found.payment.checkoutRequestID, expected != callback.checkoutRequestID {
            logger.warning("M-Pesa callback for another checkout request", metadata: ["payment_id": "\(paymentID)"])
            return
        }
        try await settle(found.payment, callback.outcome)
    }

    /// Applies an outcome once; logs what it did, and counts it only when this call changed the payment (a callback
    /// and a status query at once, or the sandbox's repeated callback, settle it once between them).
    func settle(_ payment: Payment, _ outcome: PaymentOutcome) async throws {
        let (before, after) = try await store.settlePaymentChange(id: payment.id, outcome: outcome, now: time.now)
        if after.status != before.status {
            metrics.payment(status: after.status.rawValue)
            if after.creditsApplied > before.creditsApplied {
                metrics.credits(kind: "purchased", amount: after.creditsApplied - before.creditsApplied)
            }
            logger.info(
                "payment settled",
                metadata: ["payment_id": "\(after.id)", "status": "\(after.status.rawValue)", "failure": "\(after.failure?.rawValue ?? "-")"])
        } else if after.status == .received, case .declined(let code, let description) = outcome {
            // The credits stand (a received payment is never downgraded), but M-Pesa has now said two things: an
            // operator should compare the M-Pesa statement.
            logger.warning(
                "M-Pesa reported a failure for a payment already received; its credits stand",
                metadata: ["payment_id": "\(after.id)", "result_code": "\(code)", "result_desc": "\(description)"])
        } else if after.status == .received, case .paid(let receipt, let amount, _) = outcome {
            // A status query says only that it was paid, so a payment it settled was credited in full before the callback
            // could say how much, or with which receipt. The credits stand; an operator should compare the statement.
            if let amount, amount != after.amount {
                logger.warning(
                    "M-Pesa's callback reports another amount for a payment already received; its credits stand",
                    metadata: ["payment_id": "\(after.id)", "requested": "\(after.amount)", "paid": "\(amount)"])
            }
            if let receipt, after.receipt != receipt {
                logger.warning(
                    "M-Pesa's callback brings a receipt this payment cannot take (another payment has it, or it has another)",
                    metadata: ["payment_id": "\(after.id)", "receipt": "\(receipt)", "kept": "\(after.receipt ?? "-")"])
            }
        }
    }

    /// The firm's credit ledger, newest first.
    public func transactions(firmID: Int64, limit: Int, startingAfter: Int64?) async throws -> [LedgerEntry] {
        try await store.ledger(firmID: firmID, limit: limit, startingAfter: startingAfter)
    }

    private func balance(firmID: Int64) async throws -> Credits {
        guard let firm = try await store.firm(id: firmID) else { throw DomainError(.notFound, "Firm not found.") }
        return firm.smsCredits
    }
}
