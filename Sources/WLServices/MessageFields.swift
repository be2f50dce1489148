public import WLDomain

/// The contract's message fields, shared by `GET /sms/{id}` and the webhook payload: type, event, message_id,
/// blast_id, reference, recipient, status, status_code and response; for SMS our `category` too.
public enum MessageFields {
    /// The fields of `message` at `status`, with its event name and response.
    public static func fields(_ message: Message, event: String, status: MessageStatus, response: String) -> [FlatJSON.Field] {
        var fields: [FlatJSON.Field] = [
            ("type", .string(message.channel.rawValue)),
            ("event", .string(event)),
            ("message_id", .integer(message.id)),
            ("blast_id", .string(message.blastID)),
            ("reference", .optional(message.reference)),
            ("recipient", .string(message.recipient)),
            ("status", .string(status.rawValue)),
            ("status_code", .integer(Int64(status.code))),
            ("response", .string(response)),
        ]
        if message.channel == .sms { fields.append(("category", .string(message.category.rawValue))) }
        return fields
    }

    /// Writes the fields of `message` at `status` (with its event name and response) into `encoder`'s object; the
    /// caller adds its own fields through another keyed container of the same encoder.
    public static func encode(_ message: Message, event: String, status: MessageStatus, response: String, to encoder: any Encoder) throws {
        try FlatJSON.encode(fields(message, event: event, status: status, response: response), to: encoder)
    }
}
