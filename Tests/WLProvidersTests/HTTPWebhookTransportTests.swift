import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import WLProviders

/// A webhook receiver on a real local port that answers 200 at once and then never completes the body.
final class TricklingReceiver: Sendable {
    /// The requests it has begun answering.
    let started = Mutex(0)

    /// Runs the receiver for the duration of `body`, which gets its URL.
    func run(_ body: @Sendable (_ url: String) async throws -> Void) async throws {
        let router = Router()
        router.post("hooks") { request, _ -> Response in
            var request = request
            _ = try await request.collectBody(upTo: 1 << 20)
            self.started.withLock { $0 += 1 }
            return Response(status: .ok, body: .trickle)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)/hooks") }
    }

    /// Waits (polling, bounded) until a request has arrived.
    func waitForStart() async throws {
        for _ in 0..<1_000 where started.withLock({ $0 }) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

@Suite struct HTTPWebhookTransportTests {
    @Test func aBodyThatNeverCompletesFailsTheAttemptWithinTheTimeout() async throws {
        let receiver = TricklingReceiver()
        try await receiver.run { url in
            let transport = HTTPWebhookTransport(allowPrivate: true, timeoutSeconds: 1)
            let start = ContinuousClock.now
            let error = await #expect(throws: HTTPCallTimedOut.self) {
                try await transport.post(url: url, headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(10), "took \(elapsed)")
            #expect(error?.description == "no complete answer within 1000 ms")
            #expect(receiver.started.withLock { $0 } == 1)
            await transport.shutdown()
        }
    }

    @Test func aCancelledPostEndsCancelledNotTimedOut() async throws {
        let receiver = TricklingReceiver()
        try await receiver.run { url in
            let transport = HTTPWebhookTransport(allowPrivate: true, timeoutSeconds: 30)
            let post = Task { try await transport.post(url: url, headers: [], body: []) }
            try await receiver.waitForStart()
            try #require(receiver.started.withLock { $0 } == 1, "the POST reached the receiver before it was cancelled")
            let start = ContinuousClock.now
            post.cancel()
            await #expect(throws: CancellationError.self) { try await post.value }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(10), "took \(elapsed)")
            await transport.shutdown()
        }
    }
}

/// Receivers that answer in full, for what the transport makes of their answers.
@Suite struct WebhookAnswerTests {
    @Test func anAnswerWithAPageLongerThanIsReadCountsAsTheStatusItCarries() async throws {
        let router = Router()
        let page = String(repeating: "<p>thanks</p>", count: 10_000)
        router.post("ok") { _, _ -> Response in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: page))) }
        router.post("broken") { _, _ -> Response in
            Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.post("gone") { _, _ -> Response in Response(status: .gone, body: .init(byteBuffer: ByteBuffer(string: page))) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client async throws in
            let transport = HTTPWebhookTransport(allowPrivate: true, timeoutSeconds: 5)
            let base = "http://127.0.0.1:\(client.port ?? 0)"
            #expect(try await transport.post(url: base + "/ok", headers: [], body: []) == 200)
            // A 410 with a long page still disables the endpoint, and a 500 is a failure with its status logged.
            #expect(try await transport.post(url: base + "/gone", headers: [], body: []) == 410)
            #expect(try await transport.post(url: base + "/broken", headers: [], body: []) == 500)
            await transport.shutdown()
        }
    }

    @Test func theClientStaysPinnedWhileItsAddressIsStillAmongTheHostsAddresses() async throws {
        let clients = PinnedClients(timeoutSeconds: 1, connectionsPerHost: 1)
        let first = await clients.client(host: "hooks.example.com", addresses: ["93.184.215.14", "93.184.215.15"])
        let rotated = await clients.client(host: "hooks.example.com", addresses: ["93.184.215.15", "93.184.215.14"])
        #expect(first === rotated)
        let moved = await clients.client(host: "hooks.example.com", addresses: ["93.184.215.16"])
        #expect(first !== moved)
        await clients.shutdown()
    }

    @Test func eachFirmHasItsOwnClientForAHostItSharesWithOthers() async throws {
        let clients = PinnedClients(timeoutSeconds: 1, connectionsPerHost: 1)
        let first = await clients.client(host: "hooks.example.com", addresses: ["93.184.215.14"], pool: 1)
        let other = await clients.client(host: "hooks.example.com", addresses: ["93.184.215.14"], pool: 2)
        #expect(first !== other)
        #expect(await clients.client(host: "hooks.example.com", addresses: ["93.184.215.14"], pool: 1) === first)
        #expect(await clients.hosts == ["1 hooks.example.com", "2 hooks.example.com"])
        await clients.shutdown()
    }

    @Test func beyondItsLimitTheClientUsedLeastRecentlyIsClosed() async throws {
        let clients = PinnedClients(timeoutSeconds: 1, connectionsPerHost: 1, maximumHosts: 2)
        let first = await clients.client(host: "a.example.com", addresses: ["93.184.215.14"])
        _ = await clients.client(host: "b.example.com", addresses: ["93.184.215.15"])
        #expect(await clients.client(host: "a.example.com", addresses: ["93.184.215.14"]) === first)
        _ = await clients.client(host: "c.example.com", addresses: ["93.184.215.16"])
        #expect(await clients.hosts == ["a.example.com", "c.example.com"])
        #expect(await clients.client(host: "a.example.com", addresses: ["93.184.215.14"]) === first, "the one used lately is kept")
        _ = await clients.client(host: "d.example.com", addresses: ["93.184.215.17"])
        #expect(await clients.hosts == ["a.example.com", "d.example.com"])
        await clients.shutdown()
    }
}
