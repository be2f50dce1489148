import WLDomain

/// The headers of a webhook POST: the contract's (`Content-Type`, `X-WL-Event`, `X-WL-Signature` when a secret is
/// set), Standard Webhooks' (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and ours (`X-WL-Event-Id`,
/// `X-WL-Timestamp`, `X-WL-Attempt`).
enum WebhookHeaders {
    /// - Parameter previousSecret: A replaced secret still valid: `webhook-signature` then carries both signatures
    ///   (space-separated, as Standard Webhooks allows); `X-WL-Signature` stays one value, made with the newest.
    static func make(
        eventID: String, event: String, body: [UInt8], secret: String?, previousSecret: String? = nil, attempt: Int, timestamp: Int64
    ) -> [(String, String)] {
        var headers = [
            ("Content-Type", "application/json"), ("User-Agent", "WorldLedgers-Webhooks/1"), ("X-WL-Event", event), ("X-WL-Event-Id", eventID),
            ("X-WL-Timestamp", String(timestamp)), ("X-WL-Attempt", String(attempt)), ("webhook-id", eventID),
            ("webhook-timestamp", String(timestamp)),
        ]
        if let secret, !secret.isEmpty {
            let signed = WebhookSignature.both(id: eventID, timestamp: timestamp, body: body, secret: secret)
            headers.append(("X-WL-Signature", signed.contract))
            let previous = previousSecret.map { " " + WebhookSignature.standard(id: eventID, timestamp: timestamp, body: body, secret: $0) }
            headers.append(("webhook-signature", signed.standard + (previous ?? "")))
        }
        return headers
    }
}
