import Foundation
import Hummingbird
import WLDomain
import WLPorts
public import WLServices

/// `GET /webhooks/deliveries`, `POST /webhooks/deliveries/{id}/redeliver` and `POST /webhooks/test`.
public struct WebhooksController: Sendable {
    let webhooks: WebhookService
    /// Counts test webhooks per firm.
    let limiter: RateLimiter

    public init(webhooks: WebhookService, limiter: RateLimiter) {
        self.webhooks = webhooks
        self.limiter = limiter
    }

    public func addRoutes(to group: RouteRegistrar) {
        group.get("webhooks/deliveries", use: list)
        group.post("webhooks/deliveries/:delivery_id/redeliver", use: redeliver)
        group.post("webhooks/test", use: test)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PageView<DeliveryView>> {
        let firm = try context.firm()
        let query = try request.queryDictionary(allowing: PageQuery.names.union(["event_id", "message_id", "payment_id", "status"]))
        var errors: [String: [String]] = [:]
        func id(_ name: String) -> Int64? {
            guard let raw = query[name] else { return nil }
            guard let value = Int64(raw) else {
                errors[name] = ["A whole number."]
                return nil
            }
            return value
        }
        var filter = WebhookDeliveryFilter(eventID: id("event_id"), messageID: id("message_id"), paymentID: id("payment_id"))
        if let raw = query["status"] {
            if let status = WebhookDeliveryStatus(rawValue: raw) {
                filter.status = status
            } else {
                errors["status"] = ["One of pending, succeeded, failed."]
            }
        }
        let page = PageQuery(query, errors: &errors)
        if !errors.isEmpty { throw DomainError(.validation, "The query is not valid.", fields: errors) }
        let listed = try await webhooks.deliveries(firmID: firm.id, filter: filter, limit: page.limit, startingAfter: page.startingAfter)
        return SuccessEnvelope(
            data: PageView(
                key: "deliveries", items: listed.deliveries.map { DeliveryView(record: $0, timezone: firm.timezone) },
                nextStartingAfter: listed.nextStartingAfter))
    }

    @Sendable func redeliver(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<DeliveryView> {
        let firm = try context.firm()
        guard let id = context.parameters.get("delivery_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such delivery.") }
        return SuccessEnvelope(data: DeliveryView(record: try await webhooks.redeliver(firmID: firm.id, deliveryID: id), timezone: firm.timezone))
    }

    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<TestView> {
        let firm = try context.firm()
        try await Self.admitTest(firm: firm, limiter: limiter)
        return SuccessEnvelope(data: TestView(result: try await webhooks.sendTest(firm: firm)))
    }

    /// Counts one test webhook against the firm's `webhook-test` limit, whichever way it was asked for.
    /// - Throws: A 429 with `Retry-After` when the firm is over it.
    static func admitTest(firm: Firm, limiter: RateLimiter) async throws {
        // Each test is an outbound request that may take its full timeout, so the firm's key limits are too loose.
        if let decision = try await limiter.webhookTest(firmID: firm.id), !decision.allowed { throw RateLimitHeaders.refusal(decision) }
    }
}

/// A delivery in the log.
struct DeliveryView: Encodable, Sendable {
    var record: WebhookDeliveryRecord
    var timezone: String

    struct AttemptView: Encodable, Sendable {
        var attempt: Int
        var at: String
        var statusCode: Int?
        var latencyMS: Int
        var error: String?

        enum CodingKeys: String, CodingKey {
            case attempt, at, error
            case statusCode = "status_code"
            case latencyMS = "latency_ms"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(at, forKey: .at)
            try container.encode(statusCode, forKey: .statusCode)
            try container.encode(latencyMS, forKey: .latencyMS)
            try container.encode(error, forKey: .error)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, event, sequence, status, attempts
        case eventID = "event_id"
        case messageID = "message_id"
        case nextAttemptAt = "next_attempt_at"
        case createdAt = "created_at"
        case completedAt = "completed_at"
        case paymentID = "payment_id"
        case attemptCount = "attempt_count"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.eventID, forKey: .eventID)
        try container.encode(record.messageID, forKey: .messageID)
        try container.encode(record.paymentID, forKey: .paymentID)
        try container.encode(record.event, forKey: .event)
        try container.encode(record.sequence, forKey: .sequence)
        try container.encode(record.status.rawValue, forKey: .status)
        try container.encode(record.nextAttemptAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .nextAttemptAt)
        try container.encode(FirmTime.format(record.createdAt, timezone: timezone), forKey: .createdAt)
        try container.encode(record.completedAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .completedAt)
        try container.encode(
            record.attempts.map {
                AttemptView(
                    attempt: $0.attempt, at: FirmTime.format($0.startedAt, timezone: timezone), statusCode: $0.statusCode,
                    latencyMS: $0.latencyMilliseconds, error: $0.error)
            }, forKey: .attempts)
        try container.encode(record.attemptCount, forKey: .attemptCount)
    }
}

/// What a test webhook did.
struct TestView: Encodable, Sendable {
    var result: WebhookTestResult

    enum CodingKeys: String, CodingKey {
        case url, succeeded, error
        case eventID = "event_id"
        case statusCode = "status_code"
        case latencyMS = "latency_ms"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(result.url, forKey: .url)
        try container.encode(result.eventID, forKey: .eventID)
        try container.encode(result.succeeded, forKey: .succeeded)
        try container.encode(result.statusCode, forKey: .statusCode)
        try container.encode(result.latencyMilliseconds, forKey: .latencyMS)
        try container.encode(result.error, forKey: .error)
    }
}
