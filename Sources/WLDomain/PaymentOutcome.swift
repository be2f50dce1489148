public import Foundation

/// What M-Pesa (a callback or a status query) or our own attempt to start the push says about a payment.
public enum PaymentOutcome: Hashable, Sendable {
    /// Paid. A query's success carries no receipt or amount; a callback's carries both.
    case paid(receipt: String?, amount: KES?, paidAt: Date?)
    /// Not paid: M-Pesa's ResultCode (not 0) and ResultDesc.
    case declined(resultCode: Int, description: String)
    /// The STK push could not be started: nothing reached the phone.
    case pushFailed(reason: String)
    /// The STK push may have reached the phone, but M-Pesa never confirmed it (its answer was lost, or its checkout
    /// id could not be stored), so nothing can be asked about it: the payer may have paid.
    case unconfirmed(reason: String)
}

/// What settling a payment does to it, decided without I/O.
public enum PaymentSettlement: Hashable, Sendable {
    /// Credit the payment's estimated credits and mark it received.
    case receive(receipt: String?, amount: KES?, paidAt: Date?)
    /// Mark it failed.
    case fail(PaymentFailure, resultCode: Int?, description: String)
    /// Mark it held for review, with no credit.
    case hold(PaymentFailure, receipt: String?, amount: KES?, paidAt: Date?)
    /// Only record the receipt of a payment already received without one (a late callback after a query).
    case attachReceipt(String, paidAt: Date?)

    /// The settlement of `outcome` for a payment now in `status` that asked for `requested`, or `nil` when nothing
    /// changes: a received or held payment never changes again (a late receipt is only recorded), a failed one only
    /// when M-Pesa later reports the money taken, and a pending one by the outcome.
    /// - Parameter receiptTaken: Whether the outcome's receipt already belongs to another payment.
    public static func decide(
        status: PaymentStatus, hasReceipt: Bool, requested: KES, outcome: PaymentOutcome, receiptTaken: Bool
    ) -> PaymentSettlement? {
        switch (status, outcome) {
        case (.received, .paid(let receipt?, _, let paidAt)) where !hasReceipt && !receiptTaken:
            return .attachReceipt(receipt, paidAt: paidAt)
        case (.received, _), (.held, _), (.failed, .declined), (.failed, .pushFailed), (.failed, .unconfirmed):
            return nil
        case (.pending, .declined(let code, let description)):
            return .fail(PaymentFailure(resultCode: code, description: description), resultCode: code, description: description)
        case (.pending, .pushFailed(let reason)):
            return .fail(.stkPushFailed, resultCode: nil, description: reason)
        case (.pending, .unconfirmed(let reason)):
            return .fail(.pushUnconfirmed, resultCode: nil, description: reason)
        case (.pending, .paid(let receipt, let amount, let paidAt)), (.failed, .paid(let receipt, let amount, let paidAt)):
            if receiptTaken { return .hold(.duplicateReceipt, receipt: receipt, amount: amount, paidAt: paidAt) }
            if let amount, amount != requested { return .hold(.amountMismatch, receipt: receipt, amount: amount, paidAt: paidAt) }
            return .receive(receipt: receipt, amount: amount, paidAt: paidAt)
        }
    }
}
