import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct DispatchRulesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func state(id: Int64 = 1, firm: Int64 = 7, credits: Int64 = 2, channel: Channel = .sms) -> DispatchState {
        let message = Message(
            id: id, firmID: firm, blastID: "SMS-1", channel: channel, reference: nil, recipient: "254712345678", body: "Hi", segments: 1,
            encoding: "GSM-7", credits: Credits(whole: credits), status: .pending, response: "Queued", network: nil, stage: .queued,
            attempts: 0, dueAt: now, providerMessageID: nil, createdAt: now, sentAt: nil, deliveredAt: nil)
        return DispatchState(message: message, charged: .zero, leaseOwner: "w", leaseUntil: now.addingTimeInterval(60), eventSequence: 0)
    }

    @Test func onlyAQueuedPendingMessageNoDispatcherHoldsCanBeCancelled() {
        var state = Self.state()
        #expect(!DispatchRules.isCancellable(state, now: Self.now))  // leased until now + 60 s
        #expect(DispatchRules.isCancellable(state, now: Self.now.addingTimeInterval(60)))
        state.leaseUntil = nil
        #expect(DispatchRules.isCancellable(state, now: Self.now))
        var charged = state
        charged.message.stage = .charged
        #expect(!DispatchRules.isCancellable(charged, now: Self.now))
        var processing = state
        processing.message.status = .processing
        #expect(!DispatchRules.isCancellable(processing, now: Self.now))
        var effects = DispatchEffects()
        #expect(DispatchRules.apply(.fail(response: cancelledResponse, refund: false), to: &state, effects: &effects, now: Self.now))
        #expect(DispatchRules.isCancelled(state.message) && !DispatchRules.isCancellable(state, now: Self.now))
        #expect(effects.credits.isEmpty)
        var failed = Self.state()
        failed.message.status = .failed
        #expect(!DispatchRules.isCancelled(failed.message))
        // Charged and waiting to retry: idle once no dispatcher holds it; never once final.
        var retrying = Self.state()
        retrying.message.stage = .charged
        retrying.message.status = .processing
        #expect(!DispatchRules.isChargedAndIdle(retrying, now: Self.now))
        retrying.leaseUntil = nil
        #expect(DispatchRules.isChargedAndIdle(retrying, now: Self.now) && !DispatchRules.isCancellable(retrying, now: Self.now))
        retrying.message.status = .failed
        #expect(!DispatchRules.isChargedAndIdle(retrying, now: Self.now))
    }

    @Test func aReportFailingAnSMSForUserInBlackListListsTheNumberOnceAndOtherFailuresDoNot() {
        var blocked = Self.state()
        blocked.message.status = .processing
        var other = blocked
        other.message.id = 2
        var effects = DispatchEffects()
        #expect(
            DispatchRules.apply(.report(.failed, response: "Rejected: UserInBlackList", network: nil), to: &blocked, effects: &effects, now: Self.now)
        )
        #expect(
            DispatchRules.apply(.report(.failed, response: "Failed: UserDoesNotExist", network: nil), to: &other, effects: &effects, now: Self.now))
        // The same report again changes nothing and lists nothing more.
        #expect(
            !DispatchRules.apply(
                .report(.failed, response: "Rejected: UserInBlackList", network: nil), to: &blocked, effects: &effects, now: Self.now))
        #expect(effects.blockedSenders == [FirmPhone(firmID: 7, phone: "254712345678")])
        // A send refused for the same reason lists the number too; another refusal does not.
        var refused = Self.state(id: 3)
        var refusedOther = Self.state(id: 4)
        var refusals = DispatchEffects()
        DispatchRules.apply(.fail(response: "UserInBlacklist", refund: true), to: &refused, effects: &refusals, now: Self.now)
        DispatchRules.apply(.fail(response: "InvalidPhoneNumber", refund: true), to: &refusedOther, effects: &refusals, now: Self.now)
        #expect(refusals.blockedSenders == [FirmPhone(firmID: 7, phone: "254712345678")])
        var email = Self.state(channel: .email)
        email.message.status = .processing
        var emailEffects = DispatchEffects()
        DispatchRules.apply(.report(.failed, response: "UserInBlackList", network: nil), to: &email, effects: &emailEffects, now: Self.now)
        #expect(emailEffects.blockedSenders.isEmpty)
    }

    @Test func aChargeDebitsMovesToProcessingAndWritesOneEventAndOneLedgerRow() {
        var state = Self.state()
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        #expect(DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now))
        #expect(state.message.status == .processing && state.message.stage == .charged && state.message.response == "Sending")
        #expect(state.charged == Credits(whole: 2))
        #expect(effects.balances[7] == Credits(whole: 3))
        #expect(effects.credits == [CreditMove(firmID: 7, messageID: 1, amount: Credits(whole: -2), kind: .debit, balanceAfter: Credits(whole: 3))])
        #expect(effects.events.map(\.name) == ["communication.sms.processing"])
        #expect(effects.events.map(\.sequence) == [1])
        // The lease stays: the message is still being sent.
        #expect(state.leaseOwner == "w")
    }

    @Test func aChargeTheBalanceCannotPayFailsAtNoCost() {
        var state = Self.state(credits: 6)
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now)
        #expect(state.message.status == .failed && state.message.response == insufficientCreditsResponse)
        #expect(state.message.stage == .done && state.leaseOwner == nil && state.charged == .zero)
        #expect(effects.credits.isEmpty && effects.balances[7] == Credits(whole: 5))
        #expect(effects.events.map(\.name) == ["communication.sms.failed"])
    }

    @Test func aFreeEmailIsChargedWithoutALedgerRow() {
        var state = Self.state(credits: 0, channel: .email)
        var effects = DispatchEffects()
        DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now)
        #expect(state.message.status == .processing && effects.credits.isEmpty)
        #expect(effects.events.map(\.name) == ["communication.email.processing"])
    }

    @Test func aChargeOfAMessageAlreadyChargedChangesNothing() {
        var state = Self.state()
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now)
        let once = (state, effects)
        #expect(!DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now))
        #expect(state == once.0 && effects == once.1)
    }

    @Test func submittedWithTheSandboxReportDeliversEndsTheLeaseAndCountsTheAttempt() {
        var state = Self.state()
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now)
        let report = DeliveryReport(status: .delivered, response: "Success", network: "Safaricom")
        DispatchRules.apply(.submitted(providerMessageID: "AT-1", report: report), to: &state, effects: &effects, now: Self.now)
        #expect(state.message.status == .delivered && state.message.stage == .done && state.message.deliveredAt == Self.now)
        #expect(state.message.providerMessageID == "AT-1" && state.message.attempts == 1 && state.message.network == "Safaricom")
        #expect(state.leaseOwner == nil && state.leaseUntil == nil)
        #expect(effects.events.map(\.name) == ["communication.sms.processing", "communication.sms.delivered"])
        #expect(effects.events.map(\.sequence) == [1, 2])
    }

    @Test func aRetryFreesTheMessageForLaterAndAFinalMessageIsNotRetried() {
        var state = Self.state()
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now)
        let later = Self.now.addingTimeInterval(30)
        DispatchRules.apply(.retry(at: later, response: "Timeout"), to: &state, effects: &effects, now: Self.now)
        #expect(state.message.dueAt == later && state.message.attempts == 1 && state.leaseOwner == nil && state.message.status == .processing)
        DispatchRules.apply(.fail(response: "Rejected", refund: true), to: &state, effects: &effects, now: Self.now)
        #expect(!DispatchRules.apply(.retry(at: later, response: "Timeout"), to: &state, effects: &effects, now: Self.now))
    }

    @Test func aLateRetryOfASubmittedOrUnchargedMessageChangesNothing() {
        var queued = Self.state()
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        let later = Self.now.addingTimeInterval(30)
        #expect(!DispatchRules.apply(.retry(at: later, response: "Timeout"), to: &queued, effects: &effects, now: Self.now))
        var submitted = Self.state()
        DispatchRules.apply(.charge, to: &submitted, effects: &effects, now: Self.now)
        DispatchRules.apply(.submitted(providerMessageID: "AT-1", report: nil), to: &submitted, effects: &effects, now: Self.now)
        let before = submitted
        #expect(!DispatchRules.apply(.retry(at: later, response: "Timeout"), to: &submitted, effects: &effects, now: Self.now))
        #expect(submitted == before && submitted.message.stage == .submitted && submitted.message.attempts == 1)
    }

    @Test func aRefundedFailureReturnsWhatWasChargedOnce() {
        var state = Self.state()
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now)
        DispatchRules.apply(.fail(response: "Rejected", refund: true), to: &state, effects: &effects, now: Self.now)
        #expect(!DispatchRules.apply(.fail(response: "Rejected", refund: true), to: &state, effects: &effects, now: Self.now))
        #expect(effects.credits.map(\.kind) == [.debit, .refund])
        #expect(effects.balances[7] == Credits(whole: 5) && state.charged == .zero)
    }

    @Test func lateAndDuplicateReportsChangeNothing() {
        var state = Self.state()
        var effects = DispatchEffects(balances: [7: Credits(whole: 5)])
        DispatchRules.apply(.charge, to: &state, effects: &effects, now: Self.now)
        DispatchRules.apply(.submitted(providerMessageID: "AT-1", report: nil), to: &state, effects: &effects, now: Self.now)
        DispatchRules.apply(.report(.delivered, response: "Success", network: nil), to: &state, effects: &effects, now: Self.now)
        let events = effects.events.count
        #expect(!DispatchRules.apply(.report(.delivered, response: "Success", network: nil), to: &state, effects: &effects, now: Self.now))
        #expect(!DispatchRules.apply(.report(.processing, response: "Sent", network: nil), to: &state, effects: &effects, now: Self.now))
        #expect(!DispatchRules.apply(.report(.failed, response: "Late", network: nil), to: &state, effects: &effects, now: Self.now))
        #expect(effects.events.count == events && state.message.status == .delivered)
    }

    /// Any sequence of outcomes on messages of one firm: the balance never goes negative, the ledger rows add up to
    /// the change in balance, each message's charge minus its refunds is what it holds, statuses only move forward
    /// and every event follows the one before it.
    @Test func anySequenceOfOutcomesKeepsTheBooksStraight() async {
        let outcome = Gen.int(in: 0...6).map { pick -> DispatchOutcome in
            switch pick {
            case 0, 1: .charge
            case 2: .submitted(providerMessageID: "AT", report: nil)
            case 3: .report(.delivered, response: "Success", network: nil)
            case 4: .retry(at: Self.now.addingTimeInterval(5), response: "Timeout")
            case 5: .fail(response: "Rejected", refund: true)
            default: .report(.failed, response: "Failed", network: nil)
            }
        }
        let step = Gen.int(in: 0...4).map { Int64($0) }
        await propertyCheck(input: Gen.int64(in: 0...12), outcome.array(of: 1...40), step.array(of: 40...40)) { start, outcomes, targets in
            var states = (0...4).map { Self.state(id: $0, credits: 1 + $0 % 3) }
            var effects = DispatchEffects(balances: [7: Credits(whole: start)])
            for (outcome, target) in zip(outcomes, targets) {
                let before = states[Int(target)]
                DispatchRules.apply(outcome, to: &states[Int(target)], effects: &effects, now: Self.now)
                let after = states[Int(target)]
                #expect(before.message.status == after.message.status || before.message.status.canMove(to: after.message.status))
                #expect((effects.balances[7] ?? .zero) >= .zero)
            }
            let moved = effects.credits.reduce(Credits.zero) { $0 + $1.amount }
            #expect((effects.balances[7] ?? .zero) - Credits(whole: start) == moved)
            for state in states {
                let net = effects.credits.filter { $0.messageID == state.message.id }.reduce(Credits.zero) { $0 + $1.amount }
                #expect(-net == state.charged)
                let sequences = effects.events.filter { $0.messageID == state.message.id }.map(\.sequence)
                #expect(sequences == Array(stride(from: 1, through: state.eventSequence, by: 1)))
            }
        }
    }
}
