import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization
public import WLServices

/// Webhook POSTs over AsyncHTTPClient: connections pooled and reused, redirects never followed (a 3xx is a failed
/// attempt), 15 s for the whole answer, body included. With the SSRF guard on (the default) every POST first resolves
/// the host (its checked addresses kept 30 s, ``CheckedAddressCache``), refuses it if any address is loopback, private,
/// link-local, CGNAT, multicast or IPv4-mapped, and then connects to exactly the address it checked (TLS still verifies
/// the host name), so a DNS answer that changes in between cannot sneak in.
/// It is a `Service` so its clients shut down with the process.
public final class HTTPWebhookTransport: WebhookTransport, Service {
    let allowPrivate: Bool
    let timeoutSeconds: Int64
    let clients: PinnedClients
    /// The host of each endpoint URL, parsed once (a firm sends every delivery to the same URL); emptied when it
    /// holds ``hostCacheLimit`` URLs.
    private let hosts = Mutex<[String: String]>([:])
    static let hostCacheLimit = 1_024
    /// The checked addresses of each host, looked up off the request threads.
    private let addresses = CheckedAddressCache()

    /// - Parameters:
    ///   - allowPrivate: Turns the SSRF guard off (development and tests only).
    ///   - connectionsPerHost: Connections kept open to one host for one firm: the deliverer's POSTs in flight to one endpoint
    ///     (`webhooks.concurrency`), so none waits for a connection.
    public init(allowPrivate: Bool = false, timeoutSeconds: Int64 = 15, connectionsPerHost: Int = 8) {
        self.allowPrivate = allowPrivate
        self.timeoutSeconds = timeoutSeconds
        self.clients = PinnedClients(timeoutSeconds: timeoutSeconds, connectionsPerHost: max(1, connectionsPerHost))
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        try await post(url: url, headers: headers, body: body, pool: nil)
    }

    /// POSTs through firm `firmID`'s own client for the host: a firm whose endpoint is slow fills its own
    /// connections, never those of another firm on the same host.
    public func post(url: String, headers: [(String, String)], body: [UInt8], firmID: Int64) async throws -> Int {
        try await post(url: url, headers: headers, body: body, pool: firmID)
    }

    private func post(url: String, headers: [(String, String)], body: [UInt8], pool: Int64?) async throws -> Int {
        let host = try host(of: url)
        let checked = allowPrivate ? nil : try await addresses.addresses(of: host)
        // The guard never hands back an empty list (no address is a refusal); an empty one here must not unpin.
        if let checked, checked.isEmpty { throw WebhookAddressError(reason: "\(host) does not resolve") }
        let client = await clients.client(host: host, addresses: checked, pool: pool)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let (response, _) = try await client.executeCollecting(request, timeout: .seconds(timeoutSeconds), limit: 64 * 1024)
            return Int(response.status.code)
        } catch let tooLong as HTTPBodyTooLong {
            // The status says what happened whatever page comes with it (a 2xx delivers, a 410 disables); only the
            // rest of the page is not read.
            return tooLong.status
        }
    }

    /// The host part of `url`.
    private func host(of url: String) throws -> String {
        if let known = hosts.withLock({ $0[url] }) { return known }
        guard let host = URL(string: url)?.host, !host.isEmpty else { throw WebhookAddressError(reason: "no host in \(url)") }
        hosts.withLock { hosts in
            if hosts.count >= Self.hostCacheLimit { hosts.removeAll(keepingCapacity: true) }
            hosts[url] = host
        }
        return host
    }

    /// Waits for graceful shutdown, then closes every client's connections.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every client's connections (for one-shot use outside a service group).
    public func shutdown() async {
        await clients.shutdown()
    }
}

/// One HTTP client per (firm, host, pinned address): a client's `dnsOverride` sends the host's connections to the
/// checked address, and each firm's connections are its own. A host whose address changes gets a new client; the old
/// one is closed. At most `maximumHosts` clients are kept: a new one beyond them closes the one used least recently
/// (endpoints that move from host to host, a test webhook to each, would otherwise each leave a client behind for
/// good). An idle client holds no connection for long (they close after 60 s idle).
actor PinnedClients {
    /// The most clients kept by default: far more firm endpoints than the deliverer's lanes POST to at once.
    static let defaultMaximumHosts = 1_024

    private let timeoutSeconds: Int64
    private let connectionsPerHost: Int
    private let maximumHosts: Int
    private var clients: [String: (address: String?, client: HTTPClient, used: UInt64)] = [:]
    private var uses: UInt64 = 0

    init(timeoutSeconds: Int64, connectionsPerHost: Int, maximumHosts: Int = PinnedClients.defaultMaximumHosts) {
        self.timeoutSeconds = timeoutSeconds
        self.connectionsPerHost = connectionsPerHost
        self.maximumHosts = max(1, maximumHosts)
    }

    /// The clients kept now: each one's host, after its firm's id and a space when it has one.
    var hosts: Set<String> { Set(clients.keys) }

    /// The client for `host` in `pool` (a firm's id; `nil`: the shared one), pinned to one of `addresses` (`nil`:
    /// not pinned). The current client is kept while its address is still among them: a host whose DNS rotates its
    /// answers (a load balancer, a CDN) keeps its connections.
    func client(host: String, addresses: [String]?, pool: Int64? = nil) -> HTTPClient {
        uses += 1
        let key = pool.map { "\($0) \(host)" } ?? host
        if let existing = clients[key], existing.address.map({ addresses?.contains($0) == true }) ?? (addresses == nil) {
            clients[key]?.used = uses
            return existing.client
        }
        let address = addresses?.first
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(timeoutSeconds))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        // No tracer: with the default no-op one the client still parses every request's URL into span attributes.
        configuration.tracing.tracer = nil
        if let address { configuration.dnsOverride = [host: address] }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        if let old = clients[key]?.client {
            retire(old)
        } else if clients.count >= maximumHosts, let least = clients.min(by: { $0.value.used < $1.value.used }) {
            clients[least.key] = nil
            retire(least.value.client)
        }
        clients[key] = (address, client, uses)
        return client
    }

    /// Closes `client` once the POSTs it may have in flight have had their timeout: shutting a client down cancels
    /// its requests.
    private func retire(_ client: HTTPClient) {
        // A second past the timeout: a POST that took this client just before it was retired still has all of it.
        let grace = timeoutSeconds + 1
        Task {
            try? await Task.sleep(for: .seconds(grace))
            try? await client.shutdown()
        }
    }

    func shutdown() async {
        for (_, entry) in clients { try? await entry.client.shutdown() }
        clients = [:]
    }
}

/// An answer whose body was longer than the caller would read; its status came.
struct HTTPBodyTooLong: Error, CustomStringConvertible {
    let status: Int
    let limit: Int

    var description: String { "HTTP \(status) with a body over \(limit) bytes" }
}

/// An HTTP call whose answer, head and body, did not arrive in full within its timeout.
struct HTTPCallTimedOut: Error, CustomStringConvertible {
    let timeout: TimeAmount

    // No "connect" in the text: DarajaAnswer reads that word as "nothing was sent".
    var description: String { "no complete answer within \(timeout.nanoseconds / 1_000_000) ms" }
}

extension HTTPClient {
    /// Executes `request` and collects its body (at most `limit` bytes), the whole call within `timeout`.
    ///
    /// - Returns: The response (its status and headers; its body stream already read) and the body.
    /// - Throws: ``HTTPCallTimedOut`` when the answer, head or body, is still incomplete at the deadline;
    ///   AsyncHTTPClient's own errors otherwise (a connect failure); ``HTTPBodyTooLong`` for a longer body.
    func executeCollecting(
        _ request: HTTPClientRequest, timeout: TimeAmount, limit: Int
    ) async throws -> (response: HTTPClientResponse, body: ByteBuffer) {
        let deadline = NIODeadline.now() + timeout
        let response: HTTPClientResponse
        do {
            response = try await execute(request, deadline: deadline)
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            // One text for a late head and a late body, as the provider's answer a message keeps.
            throw HTTPCallTimedOut(timeout: timeout)
        }
        do {
            let body = try await collectBody(response.body, upTo: limit, remaining: deadline - .now(), timeout: timeout)
            return (response, body)
        } catch is NIOTooManyBytesError {
            throw HTTPBodyTooLong(status: Int(response.status.code), limit: limit)
        }
    }
}

/// `body` in full, or ``HTTPCallTimedOut`` once `remaining` has passed.
///
/// AsyncHTTPClient's deadline ends with the head; the body is bounded only by the read timeout, which a server trickling
/// bytes never trips. So the body is read in a task of its own that an event-loop timer cancels at the deadline: a
/// cancelled body stream cancels the request and closes its connection. (A task group racing a sleeping child cost
/// the benchmark's webhook phase about a fifth of its events per second in three alternating pairs; a task and a
/// timer did not. A free function: inside `extension HTTPClient`, `Task` is `HTTPClient.Task`.)
private func collectBody(
    _ body: HTTPClientResponse.Body, upTo limit: Int, remaining: TimeAmount, timeout: TimeAmount
) async throws -> ByteBuffer {
    let reading = Task { try await body.collect(upTo: limit) }
    let expired = Expiry()
    let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: max(remaining, .zero)) {
        expired.fire()
        reading.cancel()
    }
    defer { timer.cancel() }
    do {
        return try await withTaskCancellationHandler {
            try await reading.value
        } onCancel: {
            reading.cancel()
        }
    } catch {
        // A cancelled caller gets its CancellationError, never a timeout it did not have.
        if expired.fired, !Task.isCancelled { throw HTTPCallTimedOut(timeout: timeout) }
        throw error
    }
}

/// Whether a deadline's timer has fired.
private final class Expiry: Sendable {
    private let state = Mutex(false)
    var fired: Bool { state.withLock { $0 } }
    func fire() { state.withLock { $0 = true } }
}
