import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLStore

@testable import WLServices

/// A payment gateway in memory: records pushes (with their callback paths, which carry the token) and answers pushes
/// and queries from scripts.
final class ScriptedGateway: PaymentGateway {
    let pushes = Mutex<[PushRequest]>([])
    let pushAnswer = Mutex<PushError?>(nil)
    let queryAnswers = Mutex<[PushStatus]>([])
    let queries = Mutex(0)
    let longestPush: TimeInterval

    init(longestPush: TimeInterval = 0) {
        self.longestPush = longestPush
    }

    func requestPush(_ request: PushRequest) async throws -> PushAccepted {
        pushes.withLock { $0.append(request) }
        if let error = pushAnswer.withLock({ $0 }) { throw error }
        return PushAccepted(checkoutRequestID: "ws_CO_\(request.paymentID)", merchantRequestID: "m")
    }

    func queryPush(_ payment: Payment) async throws -> PushStatus {
        queries.withLock { $0 += 1 }
        return queryAnswers.withLock { $0.isEmpty ? .pending : $0.removeFirst() }
    }

    /// The token in the last push's callback path.
    var lastToken: String { pushes.withLock { String($0.last?.callbackPath.split(separator: "/").last ?? "") } }
}

/// An STK callback body as Daraja sends it.
func stkCallback(checkout: String, code: Int = 0, amount: String = "500.00", receipt: String = "TKU4X7Q2LM") -> Data {
    let metadata =
        code == 0
        ? #","CallbackMetadata":{"Item":[{"Name":"Amount","Value":\#(amount)},{"Name":"MpesaReceiptNumber","Value":"\#(receipt)"},{"Name":"Balance"},{"Name":"TransactionDate","Value":20261130103046},{"Name":"PhoneNumber","Value":254708374149}]}"#
        : ""
    return Data(
        #"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"\#(checkout)","ResultCode":\#(code),"ResultDesc":"Request cancelled by user"\#(metadata)}}}"#
            .utf8)
}

@Suite struct PaymentServiceTests {
    /// A live firm (rate 1.8) with a signed webhook, its payment service over `gateway`, a reconciler and a deliverer.
    func withLiveFirm(
        _ gateway: ScriptedGateway,
        _ body: @Sendable (PaymentService, PaymentReconciler, WebhookDeliverer, RecordingTransport, Firm, SQLStore, ManualTime) async throws -> Void
    ) async throws {
        let app = TestApp(time: ManualTime(Date(timeIntervalSince1970: 1_781_100_300)))
        try await app.admin { admin, store in
            let firm = try await admin.createFirm(try NewFirm(slug: "live", name: "Live", smsRate: KES(cents: 180), mode: .live))
            try await admin.setWebhook(firm: "live", url: "https://hooks.example.com/wl", secret: "whsecret")
            let payments = PaymentService(store: store, time: app.time, live: gateway, reconcileAfter: 60, logger: Logger(label: "test"))
            let reconciler = PaymentReconciler(payments: payments, signal: WorkSignal(), logger: Logger(label: "test"))
            let transport = RecordingTransport()
            let deliverer = WebhookDeliverer(store: store, time: app.time, transport: transport, logger: Logger(label: "test"))
            try await body(payments, reconciler, deliverer, transport, firm, store, app.time)
        }
    }

    /// Counts payments and purchased credits.
    final class CountingMetrics: WorkMetrics {
        let counted = Mutex<[String]>([])
        func providerCall(provider: String, outcome: String, seconds: Double) {}
        func messages(channel: Channel, status: MessageStatus, category: SMSCategory?, provider: String, count: Int) {}
        func webhookAttempt(outcome: String, lagSeconds: Double) {}
        func payment(status: String) { counted.withLock { $0.append("payment \(status)") } }
        func smtpReply(class: String) {}
        func credits(kind: String, amount: Credits) { counted.withLock { $0.append("credits \(kind) \(amount)") } }
    }

    @Test func twoSettlementsFromOneStaleSnapshotAreCountedOnce() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { _, _, _, _, firm, store, time in
            let metrics = CountingMetrics()
            let payments = PaymentService(store: store, time: time, live: gateway, logger: Logger(label: "test"), metrics: metrics)
            let view = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm)
            metrics.counted.withLock { $0 = [] }
            // A callback and a status query that both read the payment pending, settling one after the other.
            let stale = view.payment
            for _ in 0..<2 { try await payments.settle(stale, .paid(receipt: "TKU4X7Q2LM", amount: KES(shillings: 500), paidAt: nil)) }
            let settled = try #require(try await store.payment(firmID: firm.id, id: stale.id))
            #expect(settled.status == .received && settled.creditsApplied > .zero)
            #expect(metrics.counted.withLock { $0 } == ["payment Received", "credits purchased \(settled.creditsApplied)"])
        }
    }

    @Test func aRepeatedCallbackCreditsOnceAndTheReceivedWebhookIsSigned() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { payments, _, deliverer, transport, firm, store, _ in
            let view = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm)
            #expect(gateway.pushes.withLock { $0.map(\.phone) } == ["254708374149"])
            let checkout = try #require(view.payment.checkoutRequestID)
            for _ in 0..<3 {
                try await payments.callback(paymentID: view.payment.id, token: gateway.lastToken, body: stkCallback(checkout: checkout))
            }
            let settled = try await payments.payment(id: view.payment.id, firm: firm)
            #expect(settled.payment.status == .received)
            #expect(settled.payment.receipt == "TKU4X7Q2LM")
            #expect(settled.firmCredits == Credits("277.7778"))
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits("277.7778"))
            #expect(try await deliverer.runOnce() == 1)
            let post = try #require(transport.posts.withLock { $0.first })
            #expect(post.headers["X-WL-Event"] == "communication.payment.received")
            #expect(post.headers["X-WL-Signature"] == WebhookSignature.contract(body: post.body, secret: "whsecret"))
            #expect(post.headers["webhook-id"]?.hasPrefix("evt_pay_") == true)
            #expect(post.json["type"] as? String == "payment")
            #expect(post.json["payment_id"] as? Int == Int(view.payment.id))
            #expect(post.json["payment_status"] as? String == "Received")
            #expect(post.json["mpesa_receipt"] as? String == "TKU4X7Q2LM")
            #expect(post.json["firm_id"] as? Int == Int(firm.id))
        }
    }

    @Test func aFailureReportedAfterTheMoneyWasReceivedLeavesTheCreditsAndIsLogged() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { _, _, _, _, firm, store, time in
            let log = LogCapture()
            let payments = PaymentService(store: store, time: time, live: gateway, reconcileAfter: 60, logger: log.logger())
            let view = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm)
            let checkout = try #require(view.payment.checkoutRequestID)
            try await payments.callback(paymentID: view.payment.id, token: gateway.lastToken, body: stkCallback(checkout: checkout))
            #expect(!log.all.contains { $0.hasPrefix("warning") })
            try await payments.callback(paymentID: view.payment.id, token: gateway.lastToken, body: stkCallback(checkout: checkout, code: 1032))
            let settled = try await payments.payment(id: view.payment.id, firm: firm)
            #expect(settled.payment.status == .received && settled.firmCredits == Credits("277.7778"))
            let warnings = log.all.filter { $0.hasPrefix("warning") }
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("M-Pesa reported a failure for a payment already received") == true)
            #expect(warnings.first?.contains("result_code=1032") == true)
        }
    }

    @Test func aPushAcceptedWhoseCheckoutCannotBeStoredIsStillAnsweredPendingAndItsCallbackSettlesIt() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { _, _, _, _, firm, store, time in
            _ = try await store.database.transaction { connection in
                try await connection.query(
                    """
                    CREATE TRIGGER refuse_checkout BEFORE UPDATE ON payments
                    WHEN OLD.checkout_request_id IS NULL AND NEW.checkout_request_id IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END
                    """, [])
            }
            let log = LogCapture()
            let payments = PaymentService(store: store, time: time, live: gateway, logger: log.logger())
            // The prompt is out: an error now would make the client retry and prompt the payer again.
            let view = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm)
            #expect(view.payment.status == .pending && view.payment.checkoutRequestID == "ws_CO_\(view.payment.id)")
            #expect(gateway.pushes.withLock { $0.count } == 1)
            #expect(try await store.payment(firmID: firm.id, id: view.payment.id)?.checkoutRequestID == nil)
            let errors = log.all.filter { $0.hasPrefix("error") }
            #expect(errors.count == 1 && errors.first?.contains("checkout_request_id=ws_CO_\(view.payment.id)") == true)
            try await payments.callback(paymentID: view.payment.id, token: gateway.lastToken, body: stkCallback(checkout: "ws_CO_\(view.payment.id)"))
            #expect(try await store.payment(firmID: firm.id, id: view.payment.id)?.status == .received)
        }
    }

    @Test func aCallbackThatDisagreesWithAPaymentAQueryAlreadyReceivedIsLogged() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { _, _, _, _, firm, store, time in
            let log = LogCapture()
            let payments = PaymentService(store: store, time: time, live: gateway, logger: log.logger())
            let view = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm)
            // The callback was late: a status query, which says only "paid", settled it in full.
            try await payments.settle(view.payment, .paid(receipt: nil, amount: nil, paidAt: nil))
            #expect(log.all.filter { $0.hasPrefix("warning") }.isEmpty)
            try await payments.callback(
                paymentID: view.payment.id, token: gateway.lastToken, body: stkCallback(checkout: "ws_CO_\(view.payment.id)", amount: "250.00"))
            let settled = try #require(try await store.payment(firmID: firm.id, id: view.payment.id))
            #expect(settled.status == .received && settled.receipt == "TKU4X7Q2LM" && settled.creditsApplied == Credits("277.7778"))
            let warnings = log.all.filter { $0.hasPrefix("warning") }
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("another amount for a payment already received") == true)
            #expect(warnings.first?.contains("paid=250") == true && warnings.first?.contains("requested=500") == true)
        }
    }

    @Test func aWrongAmountIsHeldAndAWrongTokenOrCheckoutChangesNothing() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { payments, _, _, _, firm, _, _ in
            let first = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm).payment
            let token = gateway.lastToken
            await #expect(throws: DomainError(.notFound, "Not Found")) {
                try await payments.callback(paymentID: first.id, token: token + "0", body: stkCallback(checkout: "ws_CO_\(first.id)"))
            }
            try await payments.callback(paymentID: first.id, token: token, body: stkCallback(checkout: "ws_CO_other"))
            #expect(try await payments.payment(id: first.id, firm: firm).payment.status == .pending)
            // Not a callback at all: acknowledged (M-Pesa would only repeat it), nothing changes.
            try await payments.callback(paymentID: first.id, token: token, body: Data("<html>".utf8))
            #expect(try await payments.payment(id: first.id, firm: firm).payment.status == .pending)
            try await payments.callback(paymentID: first.id, token: token, body: stkCallback(checkout: "ws_CO_\(first.id)", amount: "250.00"))
            let held = try await payments.payment(id: first.id, firm: firm)
            #expect(held.payment.status == .held)
            #expect(held.payment.failure == .amountMismatch)
            #expect(held.firmCredits == .zero)
            let second = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm).payment
            try await payments.callback(paymentID: second.id, token: gateway.lastToken, body: stkCallback(checkout: "ws_CO_\(second.id)", code: 1032))
            let cancelled = try await payments.payment(id: second.id, firm: firm).payment
            #expect(cancelled.failure == .cancelledByUser)
            #expect(cancelled.failure?.retryable == true)
        }
    }

    @Test func aRefusedPushFailsThePaymentAndAnswers502() async throws {
        let gateway = ScriptedGateway()
        gateway.pushAnswer.withLock { $0 = .refused("Daraja 500.003.02: System is busy") }
        try await withLiveFirm(gateway) { payments, _, _, _, firm, store, _ in
            let error = await #expect(throws: DomainError.self) {
                _ = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm)
            }
            #expect(error?.code == .paymentProviderUnavailable)
            let payment = try #require(try await store.payment(firmID: firm.id, id: 1))
            #expect(payment.status == .failed)
            #expect(payment.failure == .stkPushFailed)
            #expect(gateway.pushes.withLock { $0.count } == 1)
        }
    }

    @Test func reconciliationAsksAfterTheIntervalKeepsPendingWhileProcessingAndSettlesOnce() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { payments, reconciler, _, _, firm, store, time in
            let payment = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm).payment
            #expect(try await reconciler.runOnce() == 0)
            #expect(gateway.queries.withLock { $0 } == 0)
            time.set(time.now.addingTimeInterval(60))
            #expect(try await reconciler.runOnce() == 1)  // "being processed": still pending
            #expect(try await store.payment(firmID: firm.id, id: payment.id)?.status == .pending)
            #expect(try await reconciler.runOnce() == 0)  // not asked again until the interval passes
            gateway.queryAnswers.withLock { $0 = [.completed(.paid(receipt: nil, amount: nil, paidAt: nil))] }
            time.set(time.now.addingTimeInterval(60))
            #expect(try await reconciler.runOnce() == 1)
            let settled = try #require(try await store.payment(firmID: firm.id, id: payment.id))
            #expect(settled.status == .received)
            // The callback that finally arrives brings the receipt and credits nothing more.
            try await payments.callback(paymentID: payment.id, token: gateway.lastToken, body: stkCallback(checkout: "ws_CO_\(payment.id)"))
            #expect(try await store.payment(firmID: firm.id, id: payment.id)?.receipt == "TKU4X7Q2LM")
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits("277.7778"))
            time.set(time.now.addingTimeInterval(600))
            #expect(try await reconciler.runOnce() == 0)
            #expect(gateway.queries.withLock { $0 } == 2)
        }
    }

    @Test func reconcilersShareTheQueueAndACrashedOnesPaymentIsAskedAfterItsLease() async throws {
        let gateway = ScriptedGateway()
        try await withLiveFirm(gateway) { payments, reconciler, _, _, firm, store, time in
            var ids: [Int64] = []
            for phone in 0..<6 {
                ids.append(try await payments.purchase(PurchaseRequest(phone: "070837414\(phone)", amount: 500), firm: firm).payment.id)
            }
            time.set(time.now.addingTimeInterval(60))
            // Another instance claimed the first payment and died holding it.
            let crashed = try await store.claimPayments(.statusQuery, limit: 1, owner: "crashed", lease: 60, now: time.now)
            #expect(crashed.map(\.id) == [ids[0]])
            let other = PaymentReconciler(payments: payments, signal: WorkSignal(), batchSize: 2, logger: Logger(label: "test"))
            async let mine = reconciler.runOnce()
            async let theirs = other.runOnce()
            let claimed = try await [mine, theirs]
            #expect(claimed.reduce(0, +) == 5)
            #expect(gateway.queries.withLock { $0 } == 5)  // each payment asked once, the held one not at all
            time.set(time.now.addingTimeInterval(59))
            #expect(try await reconciler.runOnce() == 0)
            time.set(time.now.addingTimeInterval(1))
            // The crashed lease ran out and the other five are due again (released with the 60 s interval).
            #expect(try await reconciler.runOnce() == 6)
            #expect(gateway.queries.withLock { $0 } == 11)
        }
    }

    @Test func anUnconfirmedPushStaysPendingWhileAPushCouldBeUnderWayThenFailsWithNothingToAsk() async throws {
        let gateway = ScriptedGateway(longestPush: 150)
        gateway.pushAnswer.withLock { $0 = .unconfirmed("read timeout") }
        try await withLiveFirm(gateway) { payments, reconciler, _, _, firm, store, time in
            let view = try await payments.purchase(PurchaseRequest(phone: "0708374149", amount: 500), firm: firm)
            #expect(view.payment.status == .pending)
            #expect(view.payment.checkoutRequestID == nil)
            // Reconciliation comes at 60 s and 120 s: a push started at 0 could still be waiting for Daraja.
            for _ in 0..<2 {
                time.set(time.now.addingTimeInterval(60))
                #expect(try await reconciler.runOnce() == 1)
                #expect(try await store.payment(firmID: firm.id, id: view.payment.id)?.status == .pending)
            }
            time.set(time.now.addingTimeInterval(60))
            try await reconciler.runOnce()
            let failed = try #require(try await store.payment(firmID: firm.id, id: view.payment.id))
            #expect(failed.status == .failed)
            #expect(failed.failure == .pushUnconfirmed && !failed.failure!.retryable)
            #expect(failed.resultDescription?.contains("account reference WL\(view.payment.id)") == true)
            #expect(gateway.queries.withLock { $0 } == 0)
            #expect(gateway.pushes.withLock { $0.count } == 1)
        }
    }
}
