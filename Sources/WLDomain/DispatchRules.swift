public import Foundation

/// A message with the queue's bookkeeping: everything the dispatch rules read and change.
public struct DispatchState: Sendable, Hashable {
    public var message: Message
    /// Credits actually debited (what a refund returns).
    public var charged: Credits
    public var leaseOwner: String?
    public var leaseUntil: Date?
    /// The last event's sequence number.
    public var eventSequence: Int

    public init(message: Message, charged: Credits, leaseOwner: String?, leaseUntil: Date?, eventSequence: Int) {
        self.message = message
        self.charged = charged
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.eventSequence = eventSequence
    }
}

/// A ledger row the rules decided: a debit or a refund of one message.
public struct CreditMove: Sendable, Hashable {
    public var firmID: Int64
    public var messageID: Int64
    /// Negative for a debit.
    public var amount: Credits
    public var kind: LedgerKind
    /// The firm's balance once this row is applied.
    public var balanceAfter: Credits

    public init(firmID: Int64, messageID: Int64, amount: Credits, kind: LedgerKind, balanceAfter: Credits) {
        self.firmID = firmID
        self.messageID = messageID
        self.amount = amount
        self.kind = kind
        self.balanceAfter = balanceAfter
    }
}

/// A status change the rules decided: an event row, and a webhook delivery for a firm whose webhook works.
public struct StatusEvent: Sendable, Hashable {
    public var firmID: Int64
    public var messageID: Int64
    /// The message's event number, from 1.
    public var sequence: Int
    /// e.g. `communication.sms.delivered`.
    public var name: String
    public var status: MessageStatus
    public var response: String
}

/// What a batch of outcomes decided beside the messages themselves, for a store to write in the same transaction.
public struct DispatchEffects: Sendable, Hashable {
    /// Ledger rows, in the order decided.
    public var credits: [CreditMove] = []
    /// Events, in the order decided.
    public var events: [StatusEvent] = []
    /// Each firm's balance: the caller gives the balance before the batch for every firm whose credits may move
    /// (see ``DispatchOutcome/movesCredits``); after the batch it holds the balance to write back.
    public var balances: [Int64: Credits]
    /// Numbers whose subscriber blocked the firm's sender, as a failure report said: each joins the firm's opt-out
    /// list (source `blacklisted`).
    public var blockedSenders: [FirmPhone] = []

    public init(balances: [Int64: Credits] = [:]) { self.balances = balances }
}

/// One firm's number: an entry of its opt-out list, or a number whose subscriber blocked its sender.
public struct FirmPhone: Sendable, Hashable {
    public var firmID: Int64
    /// The number in E.164 digits.
    public var phone: String

    public init(firmID: Int64, phone: String) {
        self.firmID = firmID
        self.phone = phone
    }
}

/// The state machine of dispatch: what each ``DispatchOutcome`` does to a message's status, stage, lease and
/// attempts, to its firm's credits, and which events it writes. Pure: stores persist what it decides.
///
/// - A charge debits the message's credits while the balance covers them (processing, "Sending"); otherwise the
///   message fails with "Insufficient SMS credits" and costs nothing. Only a queued, pending message is charged.
/// - Submitted clears the lease, counts the attempt, and applies the report that came with it.
/// - Reports move the status forward only (``MessageStatus/canMove(to:)``); duplicates and late reports change
///   nothing.
/// - A retry counts the attempt and frees the message for `at`; a final message is not retried.
/// - A hold frees the message for `until` without counting an attempt (quiet hours).
/// - A failure is final; with `refund` the credits charged come back as a refund row.
/// - A failure of an SMS because the subscriber blocked the sender (``blocksSender(_:)``), whether the provider
///   refused the send or a report said so later, also lists the number (``DispatchEffects/blockedSenders``).
public enum DispatchRules {
    /// Whether a failure's response says the subscriber blocked the sender: Africa's Talking refuses such a send with
    /// `UserInBlacklist` (the response), and its reports give `UserInBlackList` as the failure reason, which ends the
    /// response (`Rejected: UserInBlackList`).
    public static func blocksSender(_ response: String) -> Bool {
        response.lowercased().hasSuffix("userinblacklist")
    }

    /// Applies `outcome` to `state`, appending ledger rows and events to `effects`.
    /// - Returns: Whether anything about the message changed.
    @discardableResult
    public static func apply(_ outcome: DispatchOutcome, to state: inout DispatchState, effects: inout DispatchEffects, now: Date) -> Bool {
        let before = state
        switch outcome {
        case .charge:
            guard state.message.stage == .queued, state.message.status == .pending else { return false }
            let cost = state.message.credits
            let balance = effects.balances[state.message.firmID] ?? .zero
            guard cost <= balance else {
                move(&state, to: .failed, response: insufficientCreditsResponse, effects: &effects, now: now)
                return true
            }
            // Free messages (email) write no ledger row.
            if cost > .zero { moveCredits(-cost, kind: .debit, for: state.message, effects: &effects) }
            state.charged = cost
            state.message.stage = .charged
            move(&state, to: .processing, response: "Sending", effects: &effects, now: now)
        case .submitted(let providerMessageID, let report):
            guard state.message.stage == .charged else { return false }
            state.message.stage = .submitted
            state.message.providerMessageID = providerMessageID
            state.message.sentAt = now
            state.message.attempts += 1
            state.leaseUntil = nil
            state.leaseOwner = nil
            if let report {
                apply(.report(report.status, response: report.response, network: report.network), to: &state, effects: &effects, now: now)
            }
        case .report(let status, let response, let network):
            if let network { state.message.network = network }
            if move(&state, to: status, response: response, effects: &effects, now: now), status == .failed {
                listIfBlocked(state.message, response: response, effects: &effects)
            }
        case .retry(let at, let response):
            // Only a charged message is tried and can be retried: a late retry for one already submitted (or not
            // yet charged) changes nothing.
            guard state.message.stage == .charged, !state.message.status.isFinal else { return false }
            state.message.attempts += 1
            state.message.dueAt = at
            state.message.response = response
            state.leaseUntil = nil
            state.leaseOwner = nil
        case .hold(let until, let response):
            guard !state.message.status.isFinal else { return false }
            state.message.dueAt = until
            state.message.response = response
            state.leaseUntil = nil
            state.leaseOwner = nil
        case .fail(let response, let refund):
            guard move(&state, to: .failed, response: response, effects: &effects, now: now) else { return false }
            if refund && state.charged > .zero {
                moveCredits(state.charged, kind: .refund, for: state.message, effects: &effects)
                state.charged = .zero
            }
            listIfBlocked(state.message, response: response, effects: &effects)
        }
        return state != before
    }

    /// Lists the number of an SMS that just failed because its subscriber blocked the sender.
    static func listIfBlocked(_ message: Message, response: String, effects: inout DispatchEffects) {
        guard message.channel == .sms, blocksSender(response), PhoneNumber(message.recipient) != nil else { return }
        effects.blockedSenders.append(FirmPhone(firmID: message.firmID, phone: message.recipient))
    }

    /// Moves to `status` with an event, if statuses allow the move; a final status ends the lease.
    @discardableResult
    static func move(_ state: inout DispatchState, to status: MessageStatus, response: String, effects: inout DispatchEffects, now: Date) -> Bool {
        guard state.message.status.canMove(to: status), let name = status.eventName(for: state.message.channel) else { return false }
        state.message.status = status
        state.message.response = response
        if status.isFinal {
            state.message.stage = .done
            state.leaseUntil = nil
            state.leaseOwner = nil
        }
        if status == .delivered { state.message.deliveredAt = now }
        state.eventSequence += 1
        effects.events.append(
            StatusEvent(
                firmID: state.message.firmID, messageID: state.message.id, sequence: state.eventSequence, name: name, status: status,
                response: response))
        return true
    }

    private static func moveCredits(_ amount: Credits, kind: LedgerKind, for message: Message, effects: inout DispatchEffects) {
        let after = (effects.balances[message.firmID] ?? .zero) + amount
        effects.balances[message.firmID] = after
        effects.credits.append(CreditMove(firmID: message.firmID, messageID: message.id, amount: amount, kind: kind, balanceAfter: after))
    }
}

extension DispatchRules {
    /// Whether the message was cancelled: failed with ``cancelledResponse``.
    public static func isCancelled(_ message: Message) -> Bool { message.status == .failed && message.response == cancelledResponse }

    /// Whether cancelling the message at `now` is allowed: pending, still queued (not charged), and not leased by a
    /// live dispatcher. A cancellation is then ``DispatchOutcome/fail(response:refund:)`` with ``cancelledResponse``
    /// and no refund (nothing was charged).
    public static func isCancellable(_ state: DispatchState, now: Date) -> Bool {
        state.message.status == .pending && state.message.stage == .queued && (state.leaseUntil.map { $0 <= now } ?? true)
    }

    /// Whether the message was charged but no dispatcher holds it at `now`: it waits to retry after a provider error,
    /// or was held for quiet hours once charged. Calling it off (an erasure) is a failure with a refund.
    public static func isChargedAndIdle(_ state: DispatchState, now: Date) -> Bool {
        state.message.stage == .charged && !state.message.status.isFinal && (state.leaseUntil.map { $0 <= now } ?? true)
    }
}
