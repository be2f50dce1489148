public import Foundation
public import WLDomain

/// M-Pesa purchases. Settling is one transaction: status, ledger row, balance, event and webhook delivery.
public protocol PaymentStore: Sendable {
    /// Records a purchase, pending, before M-Pesa is asked, unless it would break `limits` for the firm and phone
    /// (`nil`: no limits). The count and the insert are one transaction that holds the firm's row, so concurrent
    /// purchases cannot both pass.
    /// - Throws: ``PurchaseLimitExceeded`` (the hourly limit is checked first, as its wait is known).
    func createPayment(_ payment: NewPayment, limits: PurchaseLimits?, now: Date) async throws -> Payment
    /// Records Daraja's acceptance of the STK push.
    /// - Throws: `.duplicate` when the checkout id belongs to another payment.
    func recordCheckout(paymentID: Int64, checkoutRequestID: String, merchantRequestID: String?, now: Date) async throws
    /// One of the firm's payments, or `nil` (another firm's too).
    func payment(firmID: Int64, id: Int64) async throws -> Payment?
    /// Any firm's payment with its callback-token hash, for the callback endpoint.
    func paymentForCallback(id: Int64) async throws -> (payment: Payment, callbackTokenHash: String)?
    /// Applies `outcome` once, as ``PaymentRules/settle(_:outcome:receiptTaken:now:)`` decides; a repeated or late
    /// outcome changes nothing.
    /// - Returns: The payment as this settlement found it (read under its lock, so two settlements at once see each
    ///   other) and as it left it: what changed is what this call did.
    /// - Throws: `.notFound` for an unknown payment.
    func settlePaymentChange(id: Int64, outcome: PaymentOutcome, now: Date) async throws -> (before: Payment, after: Payment)
    /// Claims up to `limit` payments due for `work` whose lease is free (never leased, or run out), for `owner`
    /// until `now + lease`. On PostgreSQL concurrent reconcilers take different payments (`SKIP LOCKED`).
    func claimPayments(_ work: PaymentWork, limit: Int, owner: String, lease: TimeInterval, now: Date) async throws -> [Payment]
    /// Renews `owner`'s leases on these payments until `now + lease` and returns the ids still held.
    func renewPaymentLeases(paymentIDs: [Int64], owner: String, lease: TimeInterval, now: Date) async throws -> Set<Int64>
    /// Gives a claimed payment back, done with `work` for now: a status query is next due at `nextCheck`; a sandbox
    /// callback is not due again. Fenced: only while `owner` holds the lease.
    /// - Returns: Whether the lease was still `owner`'s (when not, nothing changed and the holder decides).
    @discardableResult
    func releasePayment(id: Int64, _ work: PaymentWork, owner: String, nextCheck: Date) async throws -> Bool
    /// The events of the firm's payment, in order; none for another firm's payment.
    func paymentEvents(firmID: Int64, paymentID: Int64) async throws -> [PaymentEvent]
}

/// What a payment reconciler claims a payment for.
public enum PaymentWork: String, Sendable, CaseIterable {
    /// The sandbox's simulated callback is due (`sandbox_callback_at`).
    case sandboxCallback
    /// A pending payment is due for an STK status query (`reconcile_at`).
    case statusQuery
}

extension PaymentStore {
    /// Applies `outcome` once (``settlePaymentChange(id:outcome:now:)``) and returns the payment after it.
    /// - Throws: `.notFound` for an unknown payment.
    public func settlePayment(id: Int64, outcome: PaymentOutcome, now: Date) async throws -> Payment {
        try await settlePaymentChange(id: id, outcome: outcome, now: now).after
    }
}
