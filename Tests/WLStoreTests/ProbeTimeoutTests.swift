import Logging
import PostgresNIO
import Testing

@testable import WLStore

/// The PostgreSQL side of a connection that goes silent after authentication: it lets the client in (trust
/// authentication, then BackendKeyData and ReadyForQuery) and never answers anything after.
final class SilentAfterAuthentication: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var greeted = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !greeted else { return }
        greeted = true
        var answer = context.channel.allocator.buffer(capacity: 32)
        answer.writeInteger(UInt8(ascii: "R"))
        answer.writeInteger(Int32(8))
        answer.writeInteger(Int32(0))
        answer.writeInteger(UInt8(ascii: "K"))
        answer.writeInteger(Int32(12))
        answer.writeInteger(Int32(1))
        answer.writeInteger(Int32(2))
        answer.writeInteger(UInt8(ascii: "Z"))
        answer.writeInteger(Int32(5))
        answer.writeInteger(UInt8(ascii: "I"))
        context.writeAndFlush(Self.wrapOutboundOut(answer), promise: nil)
    }
}

@Suite struct ProbeTimeoutTests {
    @Test func aProbeOnAConnectionSilentAfterAuthenticationFailsWithinItsDeadline() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SilentAfterAuthentication()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let database = try PostgresDatabase(
            url: "postgres://nobody@127.0.0.1:\(port)/none", unavailableAfter: .milliseconds(500), probeInterval: .seconds(60),
            logger: TestDatabases.logger)
        let start = ContinuousClock.now
        await #expect(throws: ProbeTimedOut.self) { try await database.probe() }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }
}
