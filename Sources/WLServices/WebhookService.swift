import Foundation
public import WLDomain
public import WLPorts

/// The result of a test webhook.
public struct WebhookTestResult: Sendable, Hashable {
    public var url: String
    public var eventID: String
    /// The receiver's status code; `nil` when it did not answer.
    public var statusCode: Int?
    public var latencyMilliseconds: Int
    public var error: String?
    /// Whether the receiver answered 2xx.
    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// The firm-facing side of webhooks: the delivery log, redelivery, and a signed test event.
public struct WebhookService: Sendable {
    let store: any Store
    let time: any TimeSource
    let transport: any WebhookTransport

    public init(store: any Store, time: any TimeSource, transport: any WebhookTransport) {
        self.store = store
        self.time = time
        self.transport = transport
    }

    /// A page of the firm's deliveries, newest first, with their newest attempts (see ``WebhookDeliveryPage``).
    public func deliveries(firmID: Int64, filter: WebhookDeliveryFilter, limit: Int, startingAfter: Int64?) async throws -> WebhookDeliveryPage {
        try await store.webhookDeliveryPage(firmID: firmID, filter: filter, limit: limit, startingAfter: startingAfter)
    }

    /// Queues one of the firm's finished deliveries again, due now.
    public func redeliver(firmID: Int64, deliveryID: Int64) async throws -> WebhookDeliveryRecord {
        try await store.redeliverWebhook(firmID: firmID, deliveryID: deliveryID, now: time.now)
    }

    /// Sends a signed `communication.test` event to the firm's webhook now and reports what happened. It is not
    /// queued, retried or logged as a delivery.
    /// - Throws: `.conflict` when the firm has no webhook, or it is disabled.
    public func sendTest(firm: Firm) async throws -> WebhookTestResult {
        guard let webhook = try await store.webhook(firmID: firm.id) else {
            throw DomainError(
                .conflict, "This firm has no webhook URL: set one in the console (API Integration), the management API or `wlcomm webhook set`.")
        }
        guard webhook.disabledAt == nil else {
            throw DomainError(.conflict, "This firm's webhook is disabled (\(webhook.disabledReason ?? "failing")); set it again to re-enable it.")
        }
        let now = time.now
        let eventID = "evt_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let payload: [String: String] = [
            "type": "test", "event": "communication.test", "event_id": eventID, "firm_id": String(firm.id),
            "timestamp": FirmTime.format(now, timezone: firm.timezone), "occurred_at": FirmTime.format(now, timezone: "UTC"),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = Array(try encoder.encode(payload))
        let headers = WebhookHeaders.make(
            eventID: eventID, event: "communication.test", body: body, secret: webhook.secret, attempt: 1, timestamp: Int64(now.timeIntervalSince1970)
        )
        let started = ContinuousClock.now
        var result = WebhookTestResult(url: webhook.url, eventID: eventID, statusCode: nil, latencyMilliseconds: 0, error: nil)
        do {
            result.statusCode = try await transport.post(url: webhook.url, headers: headers, body: body, firmID: firm.id)
        } catch {
            result.error = "\(error)"
        }
        let elapsed = ContinuousClock.now - started
        result.latencyMilliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return result
    }
}
