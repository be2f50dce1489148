/// An HTTP POST as the webhook deliverer needs it: no redirects followed, a timeout, the status or the error.
public protocol WebhookTransport: Sendable {
    /// POSTs `body` with `headers` to `url`; returns the status code, or throws for a connection error or timeout.
    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int

    /// The same for firm `firmID`'s endpoint: a transport that pools connections keeps each firm's apart, so that
    /// firms whose endpoints share a host (a hosted automation service) never wait for each other's connections.
    func post(url: String, headers: [(String, String)], body: [UInt8], firmID: Int64) async throws -> Int
}

extension WebhookTransport {
    /// One pool for every firm: ``post(url:headers:body:)``.
    public func post(url: String, headers: [(String, String)], body: [UInt8], firmID: Int64) async throws -> Int {
        try await post(url: url, headers: headers, body: body)
    }
}
