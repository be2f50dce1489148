import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// A pending payment of `shillings` from the firm at its rate, started at `now` under `limits` (none by default).
func newPayment(
    _ store: SQLStore, firm: Firm, shillings: Int64 = 500, phone: String = "254712345678", sandboxCallback: Bool = false,
    limits: PurchaseLimits? = nil, now: Date = checkTime
)
    async throws -> Payment
{
    try await store.createPayment(
        NewPayment(
            firmID: firm.id, phone: try #require(PhoneNumber(phone)), amount: KES(shillings: shillings), smsRate: firm.smsRate, mode: firm.mode,
            callbackTokenHash: CallbackToken.hash("token-\(phone)"), reconcileAt: now.addingTimeInterval(60),
            sandboxCallbackAt: sandboxCallback ? now.addingTimeInterval(0.5) : nil),
        limits: limits, now: now)
}

extension ConformanceCheck {
    static let payments: [ConformanceCheck] = [
        ConformanceCheck("a paid payment credits amount ÷ rate once, with its receipt, however often M-Pesa repeats it") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let payment = try await newPayment(store, firm: firm)
            #expect(payment.status == .pending)
            #expect(payment.estimatedCredits == Credits("277.7778"))
            try await store.recordCheckout(paymentID: payment.id, checkoutRequestID: "ws_CO_1", merchantRequestID: "m-1", now: checkTime)
            let paid = PaymentOutcome.paid(receipt: "TKU4X7Q2LM", amount: KES(shillings: 500), paidAt: checkTime)
            for _ in 0..<3 {
                let settled = try await store.settlePayment(id: payment.id, outcome: paid, now: checkTime)
                #expect(settled.status == .received)
                #expect(settled.creditsApplied == Credits("277.7778"))
                #expect(settled.receipt == "TKU4X7Q2LM")
                #expect(settled.checkoutRequestID == "ws_CO_1")
            }
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits("277.7778"))
            let ledger = try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil)
            #expect(ledger.count == 1)
            #expect(ledger.first?.kind == .purchase)
            #expect(ledger.first?.paymentID == payment.id)
            #expect(ledger.first?.receipt == "TKU4X7Q2LM")
            #expect(try await store.paymentEvents(firmID: firm.id, paymentID: payment.id).map(\.event) == ["communication.payment.received"])
            #expect(try await store.paymentEvents(firmID: firm.id + 1, paymentID: payment.id).isEmpty)
        },
        ConformanceCheck("a received payment is never downgraded; a failed one is upgraded when M-Pesa reports the money taken") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let first = try await newPayment(store, firm: firm)
            _ = try await store.settlePayment(id: first.id, outcome: .paid(receipt: "R1", amount: KES(shillings: 500), paidAt: nil), now: checkTime)
            let after = try await store.settlePayment(id: first.id, outcome: .declined(resultCode: 1032, description: "cancelled"), now: checkTime)
            #expect(after.status == .received)
            let second = try await newPayment(store, firm: firm)
            let failed = try await store.settlePayment(id: second.id, outcome: .declined(resultCode: 1037, description: "DS timeout"), now: checkTime)
            #expect(failed.status == .failed)
            #expect(failed.failure == .phoneUnreachable)
            let upgraded = try await store.settlePayment(
                id: second.id, outcome: .paid(receipt: "R2", amount: KES(shillings: 500), paidAt: nil), now: checkTime)
            #expect(upgraded.status == .received)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits("555.5556"))
            #expect(
                try await store.paymentEvents(firmID: firm.id, paymentID: second.id).map(\.event) == [
                    "communication.payment.failed", "communication.payment.received",
                ])
        },
        ConformanceCheck("a wrong amount or a reused receipt is held with no credit") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let first = try await newPayment(store, firm: firm)
            let held = try await store.settlePayment(
                id: first.id, outcome: .paid(receipt: "R1", amount: KES(shillings: 250), paidAt: nil), now: checkTime)
            #expect(held.status == .held)
            #expect(held.failure == .amountMismatch)
            #expect(held.paidAmount == KES(shillings: 250))
            let second = try await newPayment(store, firm: firm)
            let reused = try await store.settlePayment(
                id: second.id, outcome: .paid(receipt: "R1", amount: KES(shillings: 500), paidAt: nil), now: checkTime)
            #expect(reused.status == .held)
            #expect(reused.failure == .duplicateReceipt)
            #expect(try await store.firm(id: firm.id)?.smsCredits == .zero)
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).isEmpty)
            let again = try await store.settlePayment(
                id: first.id, outcome: .paid(receipt: "R1", amount: KES(shillings: 500), paidAt: nil), now: checkTime)
            #expect(again.status == .held)
        },
        ConformanceCheck("a query's success without a receipt credits; the late callback's receipt is recorded without crediting again") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let payment = try await newPayment(store, firm: firm)
            _ = try await store.settlePayment(id: payment.id, outcome: .paid(receipt: nil, amount: nil, paidAt: nil), now: checkTime)
            let late = try await store.settlePayment(
                id: payment.id, outcome: .paid(receipt: "LATE1", amount: KES(shillings: 500), paidAt: checkTime), now: checkTime)
            #expect(late.receipt == "LATE1")
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits("277.7778"))
            let ledger = try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil)
            #expect(ledger.map(\.receipt) == ["LATE1"])
            #expect(try await store.paymentEvents(firmID: firm.id, paymentID: payment.id).count == 1)
        },
        ConformanceCheck("payments are per firm, and a checkout id belongs to one payment") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let payment = try await newPayment(store, firm: firm)
            #expect(try await store.payment(firmID: other.id, id: payment.id) == nil)
            #expect(try await store.payment(firmID: firm.id, id: payment.id)?.id == payment.id)
            #expect(try await store.paymentForCallback(id: payment.id)?.callbackTokenHash == CallbackToken.hash("token-254712345678"))
            try await store.recordCheckout(paymentID: payment.id, checkoutRequestID: "ws_CO_X", merchantRequestID: nil, now: checkTime)
            let second = try await newPayment(store, firm: other)
            let error = await #expect(throws: DomainError.self) {
                try await store.recordCheckout(paymentID: second.id, checkoutRequestID: "ws_CO_X", merchantRequestID: nil, now: checkTime)
            }
            #expect(error?.code == .duplicate)
        },
        ConformanceCheck("pending payments are claimed for a status query when due, under a lease, and released with their next check") {
            store in
            let firm = try await firmWithCredits(store, credits: 0)
            let payment = try await newPayment(store, firm: firm)
            #expect(try await store.claimPayments(.statusQuery, limit: 10, owner: "a", lease: 30, now: checkTime.addingTimeInterval(59)).isEmpty)
            let due = checkTime.addingTimeInterval(60)
            #expect(try await store.claimPayments(.statusQuery, limit: 10, owner: "a", lease: 30, now: due).map(\.id) == [payment.id])
            // Held: nobody else takes it, and a release by another owner changes nothing.
            #expect(try await store.claimPayments(.statusQuery, limit: 10, owner: "b", lease: 30, now: due.addingTimeInterval(29)).isEmpty)
            #expect(try await store.releasePayment(id: payment.id, .statusQuery, owner: "b", nextCheck: due) == false)
            #expect(try await store.claimPayments(.statusQuery, limit: 10, owner: "b", lease: 30, now: due.addingTimeInterval(29)).isEmpty)
            // Released by its owner: due again at the next check, not before.
            #expect(try await store.releasePayment(id: payment.id, .statusQuery, owner: "a", nextCheck: due.addingTimeInterval(60)) == true)
            #expect(try await store.releasePayment(id: payment.id, .statusQuery, owner: "a", nextCheck: due) == false)
            #expect(try await store.claimPayments(.statusQuery, limit: 10, owner: "b", lease: 30, now: due.addingTimeInterval(59)).isEmpty)
            #expect(
                try await store.claimPayments(.statusQuery, limit: 10, owner: "b", lease: 30, now: due.addingTimeInterval(60)).map(\.id) == [
                    payment.id
                ])
            _ = try await store.settlePayment(id: payment.id, outcome: .declined(resultCode: 1032, description: "x"), now: due)
            let later = due.addingTimeInterval(600)
            #expect(try await store.claimPayments(.statusQuery, limit: 10, owner: "c", lease: 30, now: later).isEmpty)
        },
        ConformanceCheck("a payment's lease is renewed only by its owner, and taken over once it runs out") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let first = try await newPayment(store, firm: firm)
            let second = try await newPayment(store, firm: firm)
            let due = checkTime.addingTimeInterval(60)
            #expect(try await store.claimPayments(.statusQuery, limit: 1, owner: "a", lease: 30, now: due).map(\.id) == [first.id])
            #expect(try await store.claimPayments(.statusQuery, limit: 10, owner: "b", lease: 30, now: due).map(\.id) == [second.id])
            #expect(
                try await store.renewPaymentLeases(paymentIDs: [first.id, second.id], owner: "a", lease: 30, now: due.addingTimeInterval(20)) == [
                    first.id
                ])
            // Renewed until due + 50: not free at due + 40, free at due + 50.
            #expect(
                try await store.claimPayments(.statusQuery, limit: 10, owner: "c", lease: 30, now: due.addingTimeInterval(40)).map(\.id) == [
                    second.id
                ])
            #expect(
                try await store.claimPayments(.statusQuery, limit: 10, owner: "c", lease: 30, now: due.addingTimeInterval(50)).map(\.id) == [first.id]
            )
            #expect(try await store.renewPaymentLeases(paymentIDs: [first.id], owner: "a", lease: 30, now: due.addingTimeInterval(51)).isEmpty)
            #expect(try await store.releasePayment(id: first.id, .statusQuery, owner: "a", nextCheck: due) == false)
            #expect(try await store.renewPaymentLeases(paymentIDs: [], owner: "c", lease: 30, now: due).isEmpty)
        },
        ConformanceCheck("a sandbox callback is claimed when due and, once released, never again") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let payment = try await newPayment(store, firm: firm, sandboxCallback: true)
            #expect(try await store.claimPayments(.sandboxCallback, limit: 10, owner: "a", lease: 30, now: checkTime).isEmpty)
            let due = checkTime.addingTimeInterval(1)
            #expect(try await store.claimPayments(.sandboxCallback, limit: 10, owner: "a", lease: 30, now: due).map(\.id) == [payment.id])
            #expect(try await store.claimPayments(.sandboxCallback, limit: 10, owner: "b", lease: 30, now: due).isEmpty)
            // A crashed owner's callback is taken over after its lease.
            #expect(
                try await store.claimPayments(.sandboxCallback, limit: 10, owner: "b", lease: 30, now: due.addingTimeInterval(30)).map(\.id) == [
                    payment.id
                ])
            #expect(try await store.releasePayment(id: payment.id, .sandboxCallback, owner: "b", nextCheck: due) == true)
            #expect(try await store.claimPayments(.sandboxCallback, limit: 10, owner: "c", lease: 30, now: due.addingTimeInterval(3_600)).isEmpty)
            // Still pending: the status query is a separate piece of work and still comes.
            #expect(
                try await store.claimPayments(.statusQuery, limit: 10, owner: "c", lease: 30, now: checkTime.addingTimeInterval(60)).map(\.id) == [
                    payment.id
                ])
        },
        ConformanceCheck("a payment event is queued for the firm's webhook and claimed with its payment") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "s"), now: checkTime)
            let payment = try await newPayment(store, firm: firm)
            _ = try await store.settlePayment(id: payment.id, outcome: .declined(resultCode: 1, description: "insufficient"), now: checkTime)
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            #expect(claimed.count == 1)
            guard case .payment(let event, let claimedPayment) = try #require(claimed.first).subject else {
                Issue.record("expected a payment event")
                return
            }
            #expect(event.event == "communication.payment.failed")
            #expect(claimedPayment.failure == .insufficientMpesaBalance)
            #expect(claimed.first?.subject.eventKey == "evt_pay_\(event.id)")
            let log = try await store.firstPageDeliveries(
                firmID: firm.id, filter: WebhookDeliveryFilter(paymentID: payment.id), limit: 10, startingAfter: nil)
            #expect(log.map(\.event) == ["communication.payment.failed"])
            #expect(log.first?.messageID == nil)
            #expect(log.first?.paymentID == payment.id)
        },
        ConformanceCheck("a third pending prompt to one phone is refused; other phones and firms, and a settled prompt, free it") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let limits = PurchaseLimits(maxPending: 2, maxPerHour: 5)
            let first = try await newPayment(store, firm: firm, limits: limits)
            _ = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(1))
            await #expect(throws: PurchaseLimitExceeded.pending(limit: 2)) {
                _ = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(2))
            }
            _ = try await newPayment(store, firm: firm, phone: "254712345679", limits: limits, now: checkTime.addingTimeInterval(2))
            _ = try await newPayment(store, firm: other, limits: limits, now: checkTime.addingTimeInterval(2))
            _ = try await store.settlePayment(id: first.id, outcome: .declined(resultCode: 1032, description: "cancelled"), now: checkTime)
            let third = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(3))
            #expect(third.status == .pending)
            await #expect(throws: PurchaseLimitExceeded.pending(limit: 2)) {
                _ = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(4))
            }
            let stored = try await store.database.read { try await $0.query("SELECT id FROM payments WHERE firm_id = $1", [.int(firm.id)]) }
            #expect(stored.count == 4)
        },
        ConformanceCheck("the hourly cap counts every prompt to the phone and frees when the oldest leaves the hour") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let limits = PurchaseLimits(maxPending: 10, maxPerHour: 3)
            for second in [0.0, 10, 20] {
                let payment = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(second))
                _ = try await store.settlePayment(id: payment.id, outcome: .declined(resultCode: 1032, description: "cancelled"), now: checkTime)
            }
            let full = PurchaseLimitExceeded.hourly(limit: 3, freeAt: checkTime.addingTimeInterval(PurchaseLimits.window))
            await #expect(throws: full) { _ = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(30)) }
            await #expect(throws: full) {
                _ = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(PurchaseLimits.window - 0.001))
            }
            _ = try await newPayment(store, firm: firm, phone: "254712345679", limits: limits, now: checkTime.addingTimeInterval(30))
            let freed = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(PurchaseLimits.window))
            #expect(freed.status == .pending)
            let next = PurchaseLimitExceeded.hourly(limit: 3, freeAt: checkTime.addingTimeInterval(PurchaseLimits.window + 10))
            await #expect(throws: next) {
                _ = try await newPayment(store, firm: firm, limits: limits, now: checkTime.addingTimeInterval(PurchaseLimits.window + 1))
            }
        },
        ConformanceCheck("concurrent purchases to one phone never pass the pending limit") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let limits = PurchaseLimits(maxPending: 2, maxPerHour: 100)
            let created = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            _ = try await newPayment(store, firm: firm, limits: limits)
                            return true
                        } catch let error as PurchaseLimitExceeded {
                            #expect(error == .pending(limit: 2))
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(created == 2)
            let stored = try await store.database.read { try await $0.query("SELECT id FROM payments WHERE firm_id = $1", [.int(firm.id)]) }
            #expect(stored.count == 2)
        },
        ConformanceCheck("a push that never started fails as such; a held payment says why; each change is the payment's next event") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let lost = try await newPayment(store, firm: firm)
            let failed = try await store.settlePayment(id: lost.id, outcome: .pushFailed(reason: "Daraja unreachable"), now: checkTime)
            #expect(failed.status == .failed && failed.failure == .stkPushFailed && failed.resultCode == nil)
            #expect(failed.resultDescription == "Daraja unreachable")
            let unconfirmed = try await store.settlePayment(
                id: try await newPayment(store, firm: firm).id, outcome: .unconfirmed(reason: "answer lost"), now: checkTime)
            #expect(unconfirmed.status == .failed && unconfirmed.failure == .pushUnconfirmed && unconfirmed.resultDescription == "answer lost")
            let wrong = try await newPayment(store, firm: firm)
            let paidAt = checkTime.addingTimeInterval(5)
            let held = try await store.settlePayment(
                id: wrong.id, outcome: .paid(receipt: "RW", amount: KES(shillings: 250), paidAt: paidAt), now: checkTime.addingTimeInterval(9))
            #expect(held.resultDescription == "Paid 250 KES for a request of 500 KES")
            #expect(held.receipt == "RW" && held.paidAt == paidAt && held.updatedAt == checkTime.addingTimeInterval(9))
            let upgraded = try await store.settlePayment(
                id: lost.id, outcome: .paid(receipt: "RL", amount: nil, paidAt: nil), now: checkTime.addingTimeInterval(20))
            #expect(upgraded.status == .received && upgraded.paidAmount == KES(shillings: 500) && upgraded.paidAt == checkTime.addingTimeInterval(20))
            #expect(try await store.paymentEvents(firmID: firm.id, paymentID: lost.id).map(\.sequence) == [1, 2])
            #expect(try await store.paymentEvents(firmID: firm.id, paymentID: wrong.id).map(\.event) == ["communication.payment.held"])
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits("277.7778"))
        },
    ]
}
