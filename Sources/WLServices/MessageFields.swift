public import WLDomain

/// The contract's message fields, shared by `GET /sms/{id}` and the webhook payload: type, event, message_id,
/// blast_id, reference, recipient, status, status_code and response; for SMS our `category` too.
public enum MessageFields {
    enum Key: String, CodingKey {
        case type, event, reference, recipient, status, response
        case messageID = "message_id"
        case blastID = "blast_id"
        case statusCode = "status_code"
        case category
    }

    /// Writes the fields of `message` at `status` (with its event name and response) into `encoder`'s object; the
    /// caller adds its own fields through another keyed container of the same encoder.
    public static func encode(_ message: Message, event: String, status: MessageStatus, response: String, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(message.channel.rawValue, forKey: .type)
        try container.encode(event, forKey: .event)
        try container.encode(message.id, forKey: .messageID)
        try container.encode(message.blastID, forKey: .blastID)
        try container.encode(message.reference, forKey: .reference)
        try container.encode(message.recipient, forKey: .recipient)
        try container.encode(status.rawValue, forKey: .status)
        try container.encode(status.code, forKey: .statusCode)
        try container.encode(response, forKey: .response)
        if message.channel == .sms { try container.encode(message.category.rawValue, forKey: .category) }
    }
}
