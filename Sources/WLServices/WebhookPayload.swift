import Foundation
import WLDomain
public import WLStore

/// The body of a webhook: the contract's fields (type, event, message_id, blast_id, reference, recipient, status,
/// status_code, response, firm_id, timestamp in the firm's timezone) plus `event_id`, `sequence` and `occurred_at`
/// (UTC, with milliseconds). Keys are sorted, so the signed bytes are stable.
public struct WebhookPayload: Encodable, Sendable {
    let delivery: WebhookDelivery

    public init(_ delivery: WebhookDelivery) {
        self.delivery = delivery
    }

    enum CodingKeys: String, CodingKey {
        case type, event, reference, recipient, status, response, timestamp, sequence
        case messageID = "message_id"
        case blastID = "blast_id"
        case statusCode = "status_code"
        case firmID = "firm_id"
        case eventID = "event_id"
        case occurredAt = "occurred_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let event = delivery.event
        let message = delivery.message
        try container.encode(message.channel.rawValue, forKey: .type)
        try container.encode(event.event, forKey: .event)
        try container.encode(message.id, forKey: .messageID)
        try container.encode(message.blastID, forKey: .blastID)
        try container.encode(message.reference, forKey: .reference)
        try container.encode(message.recipient, forKey: .recipient)
        try container.encode(event.status.rawValue, forKey: .status)
        try container.encode(event.status.code, forKey: .statusCode)
        try container.encode(event.response, forKey: .response)
        try container.encode(delivery.firmID, forKey: .firmID)
        try container.encode(FirmTime.format(event.occurredAt, timezone: delivery.timezone), forKey: .timestamp)
        try container.encode(event.id, forKey: .eventID)
        try container.encode(event.sequence, forKey: .sequence)
        try container.encode(FirmTime.preciseUTC(event.occurredAt), forKey: .occurredAt)
    }

    /// The exact bytes sent and signed.
    public func bytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
