/// An HTTP POST as the webhook deliverer needs it: no redirects followed, a timeout, the status or the error.
public protocol WebhookTransport: Sendable {
    /// POSTs `body` with `headers` to `url`; returns the status code, or throws for a connection error or timeout.
    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int
}
