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
    /// Applies `outcome` once, as ``PaymentRules/settle(_:outcome:receiptTaken:now:)`` decides, and returns the
    /// payment after it; a repeated or late outcome changes nothing.
    /// - Throws: `.notFound` for an unknown payment.
    func settlePayment(id: Int64, outcome: PaymentOutcome, now: Date) async throws -> Payment
    /// Pending payments due for a status query (`reconcile_at <= now`), each moved to `nextCheck` as it is taken, so
    /// concurrent reconcilers do not ask about the same one at once.
    func claimPaymentsToReconcile(limit: Int, now: Date, nextCheck: Date) async throws -> [Payment]
    /// Sandbox payments whose simulated callback is due, each taken once.
    func claimSandboxCallbacks(limit: Int, now: Date) async throws -> [Payment]
    /// The payment's events, in order.
    func paymentEvents(paymentID: Int64) async throws -> [PaymentEvent]
}
