public import Foundation

/// A payment with its event counter: everything settling reads and changes.
public struct PaymentState: Sendable, Hashable {
    public var payment: Payment
    /// The last event's sequence number.
    public var eventSequence: Int

    public init(payment: Payment, eventSequence: Int) {
        self.payment = payment
        self.eventSequence = eventSequence
    }
}

/// A purchase ledger row settling decided: the payment's credits onto the firm's balance.
public struct PaymentCredit: Sendable, Hashable {
    public var credits: Credits
    public var receipt: String?

    public init(credits: Credits, receipt: String?) {
        self.credits = credits
        self.receipt = receipt
    }
}

/// A payment status change settling decided: an event row, and a delivery for a firm whose webhook works.
public struct PaymentStatusEvent: Sendable, Hashable {
    /// The payment's event number, from 1.
    public var sequence: Int
    /// e.g. `communication.payment.received`.
    public var name: String
    public var status: PaymentStatus

    public init(sequence: Int, name: String, status: PaymentStatus) {
        self.sequence = sequence
        self.name = name
        self.status = status
    }
}

/// What settling a payment decided beside the payment itself, for a store to write in the same transaction.
public struct PaymentEffects: Sendable, Hashable {
    /// Credits to put on the firm's balance.
    public var credit: PaymentCredit?
    /// A receipt to write on the payment's purchase ledger row (a late callback after a query credited it).
    public var ledgerReceipt: String?
    /// The event of the status change.
    public var event: PaymentStatusEvent?

    public init(credit: PaymentCredit? = nil, ledgerReceipt: String? = nil, event: PaymentStatusEvent? = nil) {
        self.credit = credit
        self.ledgerReceipt = ledgerReceipt
        self.event = event
    }
}

/// Settling a payment: what an M-Pesa outcome (see ``PaymentSettlement/decide(status:hasReceipt:requested:outcome:receiptTaken:)``)
/// does to the payment, the firm's credits and the events. Pure: stores persist what it decides.
///
/// - Received: the payment's estimated credits go on the balance once (a purchase row with the receipt), the payment
///   records what was paid (the requested amount when the outcome does not say) and when (now when it does not say).
/// - Failed: the failure, M-Pesa's code and words.
/// - Held: no credit; what was paid and why it is held.
/// - A late receipt for a payment received without one is recorded on the payment and its ledger row, with no event.
/// - Every other change writes one event, numbered after the payment's last.
public enum PaymentRules {
    /// Applies `outcome` to `state`.
    /// - Parameter receiptTaken: Whether the outcome's receipt already belongs to another payment.
    /// - Returns: What else to write, or `nil` when nothing changes (a repeated or late outcome).
    public static func settle(_ state: inout PaymentState, outcome: PaymentOutcome, receiptTaken: Bool, now: Date) -> PaymentEffects? {
        var payment = state.payment
        guard
            let settlement = PaymentSettlement.decide(
                status: payment.status, hasReceipt: payment.receipt != nil, requested: payment.amount, outcome: outcome, receiptTaken: receiptTaken)
        else { return nil }
        var effects = PaymentEffects()
        switch settlement {
        case .receive(let receipt, let amount, let paidAt):
            effects.credit = PaymentCredit(credits: payment.estimatedCredits, receipt: receipt)
            payment.status = .received
            payment.failure = nil
            payment.resultCode = 0
            payment.receipt = receipt
            payment.paidAmount = amount ?? payment.amount
            payment.paidAt = paidAt ?? now
            payment.creditsApplied = payment.estimatedCredits
        case .fail(let failure, let code, let description):
            payment.status = .failed
            payment.failure = failure
            payment.resultCode = code
            payment.resultDescription = description
        case .hold(let failure, let receipt, let amount, let paidAt):
            payment.status = .held
            payment.failure = failure
            payment.resultCode = 0
            payment.paidAmount = amount
            payment.paidAt = paidAt ?? now
            if failure == .duplicateReceipt {
                payment.resultDescription = "Receipt \(receipt ?? "") already credited another payment"
            } else {
                payment.receipt = receipt
                payment.resultDescription = "Paid \(amount.map(\.description) ?? "?") KES for a request of \(payment.amount) KES"
            }
        case .attachReceipt(let receipt, let paidAt):
            effects.ledgerReceipt = receipt
            payment.receipt = receipt
            payment.paidAt = paidAt ?? payment.paidAt
        }
        payment.updatedAt = now
        state.payment = payment
        if case .attachReceipt = settlement { return effects }
        if let name = payment.status.eventName {
            state.eventSequence += 1
            effects.event = PaymentStatusEvent(sequence: state.eventSequence, name: name, status: payment.status)
        }
        return effects
    }
}
