import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import WLDomain
import WLServices

@testable import WLProviders

/// A relay that accepts connections and never says a word: a send to it waits for the greeting until the 30 s
/// timeout, unless its task is cancelled (the shutdown's grace is over), which must end it at once.
@Suite struct SMTPCancellationTests {
    @Test func aCancelledSendStopsWaitingForASilentRelayAtOnceAndSoDoesOneWaitingForTheSession() async throws {
        let connections = Atomic(0)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        let transport = try SMTPTransport(
            settings: SMTPSettings(host: "127.0.0.1", port: port, tls: .none, poolSize: 1, timeout: 30), logger: Logger(label: "test"))
        let email = OutgoingEmail(
            messageID: 1, from: Mailbox(address: EmailAddress("bills@firm.example")!), replyTo: nil, to: EmailAddress("jane@example.net")!,
            subject: "Invoice", text: "Hello", html: "<p>Hello</p>", date: Date(timeIntervalSince1970: 1_796_376_600), random: 7)
        // The first send holds the pool's only session, waiting for the greeting; the second waits for that session.
        let first = Task { await transport.send(email) }
        for _ in 0..<1_000 where connections.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(5)) }
        try #require(connections.load(ordering: .relaxed) == 1)
        let second = Task { await transport.send(email) }
        for _ in 0..<1_000 where await transport.pool.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
        try #require(await transport.pool.waiting == 1)
        let cancelled = ContinuousClock.now
        second.cancel()
        #expect(await second.value == .transient(response: "CancellationError()"))
        #expect(await transport.pool.waiting == 0)
        first.cancel()
        #expect(await first.value == .transient(response: "CancellationError()"))
        #expect(ContinuousClock.now - cancelled < .seconds(5))
        #expect(connections.load(ordering: .relaxed) == 1)
        try await server.close()
    }
}
