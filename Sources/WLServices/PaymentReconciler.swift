public import Foundation
public import Logging
public import ServiceLifecycle
import WLDomain
public import WLPorts

/// Settles what callbacks did not: delivers the sandbox's simulated callbacks when due, and asks M-Pesa about every
/// payment still pending ``PaymentService/reconcileAfter`` after its push. "Still processing" is asked again later;
/// a push that never got an answer (nothing to ask about: failed once the push can no longer be under way, see
/// ``PaymentGateway/longestPush``) or a payment pending for a day is failed; a received payment is never touched.
///
/// It works the payments queue like every other queue: due payments are claimed under a lease and an owner, the
/// lease is renewed by ``LeaseHeartbeat`` while the status queries run (a few at once), no query starts for a payment
/// whose lease is not held, and each payment is released, fenced on the owner, with its next check. Settling is not
/// fenced: it applies what M-Pesa said, once, whoever asked (``PaymentStore/settlePayment(id:outcome:now:)``).
public final class PaymentReconciler: Service {
    let payments: PaymentService
    let store: any Store
    let time: any TimeSource
    let signal: WorkSignal
    let ready: ReadinessGate?
    let pollInterval: Duration
    let batchSize: Int
    let lease: TimeInterval
    let concurrency: Int
    let owner: String
    /// Set once the process begins to stop: no round starts after it.
    let draining: Draining?
    /// What this reconciler's rounds are asking M-Pesa about.
    let working = WorkingSet()
    let logger: Logger

    public init(
        payments: PaymentService, signal: WorkSignal, ready: ReadinessGate? = nil, pollInterval: Duration = .milliseconds(250),
        batchSize: Int = 50, lease: TimeInterval = 60, concurrency: Int = 4, logger: Logger, draining: Draining? = nil
    ) {
        self.draining = draining
        self.payments = payments
        self.store = payments.store
        self.time = payments.time
        self.signal = signal
        self.ready = ready
        self.pollInterval = pollInterval
        self.batchSize = batchSize
        self.lease = lease
        self.concurrency = concurrency
        self.owner = "payments-" + UUID().uuidString.prefix(8).lowercased()
        self.logger = logger
    }

    /// Runs rounds until graceful shutdown (see ``runRounds``), woken early by new purchases.
    public func run() async throws {
        await runRounds(
            ready: ready, signal: signal, pollInterval: pollInterval, draining: draining, logger: logger, failure: "payment reconciliation failed"
        ) {
            try await self.runOnce()
        }
    }

    /// One round: due sandbox callbacks, then due status queries, each a leased batch.
    /// - Returns: How many payments it claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        var claimedCount = 0
        for work in PaymentWork.allCases {
            let claimedAt = time.now
            let claimed = try await store.claimPayments(work, limit: batchSize, owner: owner, lease: lease, now: claimedAt)
            guard !claimed.isEmpty else { continue }
            claimedCount += claimed.count
            let store = store
            let heartbeat = LeaseHeartbeat(owner: owner, working: working, lease: lease, time: time, logger: logger, items: "payments") {
                ids, owner, lease, now in
                try await store.renewPaymentLeases(paymentIDs: ids, owner: owner, lease: lease, now: now)
            }
            _ = await heartbeat.run(claimed.map { (messageIDs: [$0.id], job: $0) }, claimedAt: claimedAt, concurrency: concurrency) {
                payment, _ in
                await self.perform(work, on: payment)
            }
        }
        return claimedCount
    }

    /// Does `work` for one claimed payment and releases it. A failure leaves the lease to run out, and the payment
    /// is claimed again then.
    private func perform(_ work: PaymentWork, on payment: Payment) async {
        do {
            switch work {
            case .sandboxCallback:
                let simulated = SandboxPaymentGateway.outcome(of: payment)
                for _ in 0..<simulated.callbacks { try await payments.settle(payment, simulated.outcome) }
            case .statusQuery:
                await reconcile(payment)
            }
            let nextCheck = time.now.addingTimeInterval(payments.reconcileAfter)
            if try await !store.releasePayment(id: payment.id, work, owner: owner, nextCheck: nextCheck) {
                logger.debug("payment lease lost before release", metadata: ["payment_id": "\(payment.id)", "owner": "\(owner)"])
            }
        } catch {
            logger.warning("payment reconciliation step failed", metadata: ["payment_id": "\(payment.id)", "error": "\(error)"])
        }
    }

    private func reconcile(_ payment: Payment) async {
        let now = time.now
        do {
            guard payment.checkoutRequestID != nil else {
                // The request that pushed may still be waiting for Daraja: failing the payment now would tell the
                // firm "failed" while the prompt reaches the phone, and a paid prompt would never be asked about.
                guard now.timeIntervalSince(payment.createdAt) >= payments.gateway(for: payment.mode).longestPush else { return }
                try await payments.settle(
                    payment,
                    .unconfirmed(
                        reason: "M-Pesa's answer to the STK push never came or could not be stored, so the prompt may have "
                            + "reached the phone; check the payer's M-Pesa statement (account reference WL\(payment.id)) before buying again"))
                return
            }
            if case .completed(let outcome) = try await payments.gateway(for: payment.mode).queryPush(payment) {
                try await payments.settle(payment, outcome)
                return
            }
            logger.debug("payment still processing", metadata: ["payment_id": "\(payment.id)"])
        } catch {
            logger.warning("STK status query failed", metadata: ["payment_id": "\(payment.id)", "error": "\(error)"])
        }
        // Still processing, or not to be asked: after a day it is given up. A query cut short by shutdown said
        // nothing about the payment.
        if now.timeIntervalSince(payment.createdAt) >= PaymentService.expiry, !Task.isCancelled {
            try? await payments.settle(payment, .declined(resultCode: 1019, description: "Transaction has expired (no outcome within a day)"))
        }
    }
}
