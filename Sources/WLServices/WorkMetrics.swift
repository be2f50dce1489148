import Foundation
public import WLDomain

/// What the background work reports for monitoring. The Prometheus adapter lives in WLApp; tests and tools that
/// need none use ``NoWorkMetrics``.
public protocol WorkMetrics: Sendable {
    /// One call to an outside provider (`africastalking`, `smtp`, `daraja`, the sandboxes): `ok` when it answered,
    /// `error` when the call failed as a whole (timeout, connection, 5xx).
    func providerCall(provider: String, outcome: String, seconds: Double)
    /// Messages that reached `status` through `provider`.
    func messages(channel: Channel, status: MessageStatus, category: SMSCategory?, provider: String, count: Int)
    /// One webhook attempt (`succeeded`, `retry`, `failed`, `disabled`) and how long after its event it was made.
    func webhookAttempt(outcome: String, lagSeconds: Double)
    /// A payment that reached a final status (`Success`, `Failed`…).
    func payment(status: String)
    /// An SMTP relay's answer about one email, by class (`2xx`, `4xx`, `5xx`, `error`).
    func smtpReply(class: String)
    /// Credits moved: `debited` (sends), `refunded`, `purchased` (M-Pesa).
    func credits(kind: String, amount: Credits)
}

/// Reports nothing.
public struct NoWorkMetrics: WorkMetrics {
    public init() {}
    public func providerCall(provider: String, outcome: String, seconds: Double) {}
    public func messages(channel: Channel, status: MessageStatus, category: SMSCategory?, provider: String, count: Int) {}
    public func webhookAttempt(outcome: String, lagSeconds: Double) {}
    public func payment(status: String) {}
    public func smtpReply(class: String) {}
    public func credits(kind: String, amount: Credits) {}
}

extension ContinuousClock.Instant {
    /// Seconds from this instant until now.
    var secondsSince: Double {
        let elapsed = ContinuousClock.now - self
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// An SMS provider whose calls are timed and counted.
public struct MeteredSMSProvider: SMSProvider {
    let base: any SMSProvider
    let name: String
    let metrics: any WorkMetrics

    public init(_ base: any SMSProvider, name: String, metrics: any WorkMetrics) {
        self.base = base
        self.name = name
        self.metrics = metrics
    }

    public var recipientsPerCall: Int { base.recipientsPerCall }

    public func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        let started = ContinuousClock.now
        let outcomes = await base.send(text, from: sender, to: recipients)
        let answered = outcomes.values.contains { if case .transient = $0 { false } else { true } }
        metrics.providerCall(provider: name, outcome: answered ? "ok" : "error", seconds: started.secondsSince)
        return outcomes
    }
}

/// An email transport whose sends are timed and whose replies are counted by class.
public struct MeteredEmailTransport: EmailTransport {
    let base: any EmailTransport
    let name: String
    let metrics: any WorkMetrics

    public init(_ base: any EmailTransport, name: String, metrics: any WorkMetrics) {
        self.base = base
        self.name = name
        self.metrics = metrics
    }

    public func send(_ email: OutgoingEmail) async -> EmailSendOutcome {
        let started = ContinuousClock.now
        let outcome = await base.send(email)
        let response: String
        switch outcome {
        case .delivered(let text), .rejected(let text, _), .transient(let text): response = text
        }
        let code = response.prefix(3)
        let replyClass = code.count == 3 && code.allSatisfy(\.isNumber) ? "\(code.first!)xx" : "error"
        metrics.smtpReply(class: replyClass)
        metrics.providerCall(provider: name, outcome: replyClass == "error" ? "error" : "ok", seconds: started.secondsSince)
        return outcome
    }
}

/// An M-Pesa gateway whose pushes and queries are timed and counted.
public struct MeteredPaymentGateway: PaymentGateway {
    let base: any PaymentGateway
    let name: String
    let metrics: any WorkMetrics

    public init(_ base: any PaymentGateway, name: String, metrics: any WorkMetrics) {
        self.base = base
        self.name = name
        self.metrics = metrics
    }

    public var longestPush: Double { base.longestPush }

    public func requestPush(_ request: PushRequest) async throws -> PushAccepted {
        try await timed { try await base.requestPush(request) }
    }

    public func queryPush(_ payment: Payment) async throws -> PushStatus {
        try await timed { try await base.queryPush(payment) }
    }

    private func timed<T>(_ call: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        do {
            let result = try await call()
            metrics.providerCall(provider: name, outcome: "ok", seconds: started.secondsSince)
            return result
        } catch {
            metrics.providerCall(provider: name, outcome: "error", seconds: started.secondsSince)
            throw error
        }
    }
}
