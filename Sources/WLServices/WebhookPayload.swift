import Foundation
import WLDomain
public import WLPorts

/// The body of a webhook. For a message event: the contract's fields (type, event, message_id, blast_id, reference,
/// recipient, status, status_code, response, firm_id, timestamp in the firm's timezone); for a payment event: the
/// payment's fields (see docs/payments.md); for a low-balance alert: type `credits`, event, `sms_credits` and
/// `threshold`. Both add `event_id`, `sequence` and `occurred_at` (UTC, with
/// milliseconds). Keys are sorted, so the signed bytes are stable.
public struct WebhookPayload: Encodable, Sendable {
    let delivery: WebhookDelivery

    public init(_ delivery: WebhookDelivery) {
        self.delivery = delivery
    }

    /// A low-balance alert's own fields: the balance that crossed the threshold (credits, 4 decimals).
    enum CreditKeys: String, CodingKey {
        case type, event, threshold
        case balance = "sms_credits"
    }

    public func encode(to encoder: any Encoder) throws {
        let id: Int64
        let sequence: Int
        let occurredAt: Date
        switch delivery.subject {
        case .message(let event, let message):
            try MessageFields.encode(message, event: event.event, status: event.status, response: event.response, to: encoder)
            (id, sequence, occurredAt) = (event.id, event.sequence, event.occurredAt)
        case .payment(let event, let payment):
            try PaymentFields.encode(payment, event: event.event, status: event.status, to: encoder)
            (id, sequence, occurredAt) = (event.id, event.sequence, event.occurredAt)
        case .credits(let event):
            var fields = encoder.container(keyedBy: CreditKeys.self)
            try fields.encode("credits", forKey: .type)
            try fields.encode(event.event, forKey: .event)
            try fields.encode(event.balance, forKey: .balance)
            try fields.encode(event.threshold, forKey: .threshold)
            (id, sequence, occurredAt) = (event.id, 1, event.occurredAt)
        }
        try FlatJSON.encode(eventFields(id: id, sequence: sequence, occurredAt: occurredAt), to: encoder)
    }

    /// The fields every event carries.
    private func eventFields(id: Int64, sequence: Int, occurredAt: Date) -> [FlatJSON.Field] {
        [
            ("firm_id", .integer(delivery.firmID)),
            ("timestamp", .string(FirmTime.format(occurredAt, timezone: delivery.timezone))),
            ("event_id", .integer(id)),
            ("sequence", .integer(Int64(sequence))),
            ("occurred_at", .string(FirmTime.preciseUTC(occurredAt))),
        ]
    }

    /// The exact bytes sent and signed. A message event (nearly every delivery) is written by ``FlatJSON`` (the same
    /// bytes as `JSONEncoder`, without its cost); payments and alerts go through the encoder.
    public func bytes() throws -> [UInt8] {
        if case .message(let event, let message) = delivery.subject {
            return FlatJSON.bytes(
                MessageFields.fields(message, event: event.event, status: event.status, response: event.response)
                    + eventFields(id: event.id, sequence: event.sequence, occurredAt: event.occurredAt))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
