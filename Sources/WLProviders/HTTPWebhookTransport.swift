import AsyncHTTPClient
import NIOCore
public import ServiceLifecycle
public import WLServices

/// Webhook POSTs over AsyncHTTPClient: connections pooled and reused, redirects never followed (a 3xx is a failed
/// attempt), 15 s to answer. It is a `Service` so its client shuts down with the process.
public final class HTTPWebhookTransport: WebhookTransport, Service {
    let client: HTTPClient
    let timeout: TimeAmount

    public init(timeoutSeconds: Int64 = 15) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(timeoutSeconds))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeout = .seconds(timeoutSeconds)
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: timeout)
        _ = try await response.body.collect(upTo: 64 * 1024)
        return Int(response.status.code)
    }

    /// Waits for graceful shutdown, then closes the client's connections.
    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
