import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct PaymentRulesTests {
    static let created = Date(timeIntervalSince1970: 1_800_000_000)
    static let now = created.addingTimeInterval(30)
    static let requested = KES(shillings: 500)

    static func pending() -> PaymentState {
        PaymentState(
            payment: Payment(
                id: 4, firmID: 7, phone: "254712345678", amount: requested, smsRate: KES(cents: 180), estimatedCredits: Credits("277.7778")!,
                status: .pending, mode: .live, createdAt: created, updatedAt: created),
            eventSequence: 0)
    }

    @Test func aPaidOutcomeCreditsOnceRecordsWhatWasPaidAndWritesTheFirstEvent() throws {
        var state = Self.pending()
        let paidAt = Self.created.addingTimeInterval(10)
        let effects = try #require(
            PaymentRules.settle(&state, outcome: .paid(receipt: "R1", amount: Self.requested, paidAt: paidAt), receiptTaken: false, now: Self.now))
        #expect(effects.credit == PaymentCredit(credits: Credits("277.7778")!, receipt: "R1"))
        #expect(effects.event == PaymentStatusEvent(sequence: 1, name: "communication.payment.received", status: .received))
        #expect(effects.ledgerReceipt == nil)
        let payment = state.payment
        #expect(payment.status == .received && payment.resultCode == 0 && payment.failure == nil)
        #expect(payment.receipt == "R1" && payment.paidAmount == Self.requested && payment.paidAt == paidAt)
        #expect(payment.creditsApplied == Credits("277.7778")! && payment.updatedAt == Self.now)
        #expect(state.eventSequence == 1)
        let before = state
        #expect(
            PaymentRules.settle(&state, outcome: .paid(receipt: "R1", amount: Self.requested, paidAt: paidAt), receiptTaken: false, now: Self.now)
                == nil)
        #expect(state == before)
    }

    @Test func aQuerysSuccessAssumesTheRequestedAmountNowAndTheLateReceiptIsOnlyRecorded() throws {
        var state = Self.pending()
        let first = try #require(
            PaymentRules.settle(&state, outcome: .paid(receipt: nil, amount: nil, paidAt: nil), receiptTaken: false, now: Self.now))
        #expect(first.credit == PaymentCredit(credits: Credits("277.7778")!, receipt: nil))
        #expect(state.payment.paidAmount == Self.requested && state.payment.paidAt == Self.now)
        let later = Self.now.addingTimeInterval(60)
        let late = try #require(
            PaymentRules.settle(&state, outcome: .paid(receipt: "LATE", amount: Self.requested, paidAt: nil), receiptTaken: false, now: later))
        #expect(late == PaymentEffects(ledgerReceipt: "LATE"))
        #expect(state.payment.receipt == "LATE" && state.payment.paidAt == Self.now && state.payment.updatedAt == later)
        #expect(state.eventSequence == 1)
    }

    @Test func aDeclineFailsWithTheReasonAndALaterPaymentUpgradesIt() throws {
        var state = Self.pending()
        let failed = try #require(
            PaymentRules.settle(&state, outcome: .declined(resultCode: 1037, description: "DS timeout"), receiptTaken: false, now: Self.now))
        #expect(failed.credit == nil && failed.event?.name == "communication.payment.failed")
        #expect(state.payment.status == .failed && state.payment.failure == .phoneUnreachable && state.payment.resultCode == 1037)
        #expect(state.payment.resultDescription == "DS timeout")
        #expect(PaymentRules.settle(&state, outcome: .pushFailed(reason: "x"), receiptTaken: false, now: Self.now) == nil)
        let received = try #require(
            PaymentRules.settle(&state, outcome: .paid(receipt: "R2", amount: Self.requested, paidAt: nil), receiptTaken: false, now: Self.now))
        #expect(received.event == PaymentStatusEvent(sequence: 2, name: "communication.payment.received", status: .received))
        #expect(state.payment.failure == nil && state.payment.resultCode == 0)
    }

    @Test func aPushThatNeverStartedFailsAsSuch() throws {
        var state = Self.pending()
        _ = try #require(PaymentRules.settle(&state, outcome: .pushFailed(reason: "Daraja unreachable"), receiptTaken: false, now: Self.now))
        #expect(state.payment.failure == .stkPushFailed && state.payment.resultCode == nil)
        #expect(state.payment.resultDescription == "Daraja unreachable")
    }

    @Test func aWrongAmountIsHeldWithItsReceiptAndAReusedReceiptWithoutIt() throws {
        var wrong = Self.pending()
        let half = KES(shillings: 250)
        let held = try #require(
            PaymentRules.settle(&wrong, outcome: .paid(receipt: "R", amount: half, paidAt: nil), receiptTaken: false, now: Self.now))
        #expect(held.credit == nil && held.event?.status == .held)
        #expect(wrong.payment.failure == .amountMismatch && wrong.payment.receipt == "R" && wrong.payment.paidAmount == half)
        #expect(wrong.payment.resultDescription == "Paid 250 KES for a request of 500 KES")
        #expect(wrong.payment.creditsApplied == .zero)
        var reused = Self.pending()
        _ = try #require(
            PaymentRules.settle(&reused, outcome: .paid(receipt: "R", amount: Self.requested, paidAt: nil), receiptTaken: true, now: Self.now))
        #expect(reused.payment.failure == .duplicateReceipt && reused.payment.receipt == nil)
        #expect(reused.payment.resultDescription == "Receipt R already credited another payment")
    }

    /// Any sequence of outcomes: the payment is credited at most once, exactly when it ends received, a received or
    /// held payment never changes status again, and its events are numbered 1, 2, 3 … with no gap.
    @Test func anySequenceOfOutcomesCreditsAtMostOnce() async {
        let outcome = Gen.int(in: 0...5).map { pick -> (PaymentOutcome, Bool) in
            switch pick {
            case 0: (.paid(receipt: "R\(pick)", amount: Self.requested, paidAt: nil), false)
            case 1: (.paid(receipt: nil, amount: nil, paidAt: nil), false)
            case 2: (.paid(receipt: "R", amount: KES(shillings: 100), paidAt: nil), false)
            case 3: (.paid(receipt: "T", amount: Self.requested, paidAt: nil), true)
            case 4: (.declined(resultCode: 1032, description: "Request cancelled by user"), false)
            default: (.pushFailed(reason: "busy"), false)
            }
        }
        await propertyCheck(input: outcome.array(of: 1...12)) { outcomes in
            var state = Self.pending()
            var credited = Credits.zero
            var sequences: [Int] = []
            for (outcome, taken) in outcomes {
                let status = state.payment.status
                let effects = PaymentRules.settle(&state, outcome: outcome, receiptTaken: taken, now: Self.now)
                if status == .received || status == .held { #expect(state.payment.status == status) }
                credited = credited + (effects?.credit?.credits ?? .zero)
                if let event = effects?.event { sequences.append(event.sequence) }
            }
            #expect(credited == (state.payment.status == .received ? state.payment.estimatedCredits : .zero))
            #expect(state.payment.creditsApplied == credited)
            #expect(sequences == Array(stride(from: 1, through: state.eventSequence, by: 1)))
        }
    }
}
