import Foundation
public import Logging
public import ServiceLifecycle
import WLDomain
public import WLPorts

/// Settles what callbacks did not: delivers the sandbox's simulated callbacks when due, and asks M-Pesa about every
/// payment still pending ``PaymentService/reconcileAfter`` after its push. "Still processing" is asked again later;
/// a push that never got an answer (nothing to ask about) or a payment pending for a day is failed; a received
/// payment is never touched.
public final class PaymentReconciler: Service {
    let payments: PaymentService
    let store: any Store
    let time: any TimeSource
    let signal: WorkSignal
    let ready: ReadinessGate?
    let pollInterval: Duration
    let batchSize: Int
    let logger: Logger

    public init(
        payments: PaymentService, signal: WorkSignal, ready: ReadinessGate? = nil, pollInterval: Duration = .milliseconds(250),
        batchSize: Int = 50, logger: Logger
    ) {
        self.payments = payments
        self.store = payments.store
        self.time = payments.time
        self.signal = signal
        self.ready = ready
        self.pollInterval = pollInterval
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Runs rounds until graceful shutdown (see ``runRounds``), woken early by new purchases.
    public func run() async throws {
        await runRounds(ready: ready, signal: signal, pollInterval: pollInterval, logger: logger, failure: "payment reconciliation failed") {
            try await self.runOnce()
        }
    }

    /// One round: due sandbox callbacks, then due status queries.
    /// - Returns: How many payments it looked at.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = time.now
        let callbacks = try await store.claimSandboxCallbacks(limit: batchSize, now: now)
        for payment in callbacks {
            let simulated = SandboxPaymentGateway.outcome(of: payment)
            for _ in 0..<simulated.callbacks { try await payments.settle(payment, simulated.outcome) }
        }
        let due = try await store.claimPaymentsToReconcile(limit: batchSize, now: now, nextCheck: now.addingTimeInterval(payments.reconcileAfter))
        for payment in due { await reconcile(payment, now: now) }
        return callbacks.count + due.count
    }

    private func reconcile(_ payment: Payment, now: Date) async {
        do {
            guard payment.checkoutRequestID != nil else {
                try await payments.settle(payment, .pushFailed(reason: "M-Pesa never answered the STK push request"))
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
        // Still processing, or not to be asked: after a day it is given up.
        if now.timeIntervalSince(payment.createdAt) >= PaymentService.expiry {
            try? await payments.settle(payment, .declined(resultCode: 1019, description: "Transaction has expired (no outcome within a day)"))
        }
    }
}
