import NIOCore
import NIOPosix
import Synchronization

/// A local SMTP server for the benchmark that accepts everything: it answers EHLO with PIPELINING, every command
/// with 250 (DATA with 354), and counts the messages it receives. Not a mail server; only a fast, honest peer.
final class SMTPSink: Sendable {
    let received = Mutex(0)

    /// Starts listening on 127.0.0.1:`port`.
    func start(port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SinkHandler(sink: self)) }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }
}

/// One session of ``SMTPSink``.
final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let sink: SMTPSink
    private var pending = ""
    private var inData = false

    init(sink: SMTPSink) {
        self.sink = sink
    }

    func channelActive(context: ChannelHandlerContext) {
        reply(context, "220 sink ESMTP")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readString(length: buffer.readableBytes) ?? ""
        while let end = pending.range(of: "\r\n") {
            let line = String(pending[..<end.lowerBound])
            pending.removeSubrange(..<end.upperBound)
            if inData {
                if line == "." {
                    inData = false
                    sink.received.withLock { $0 += 1 }
                    reply(context, "250 2.0.0 Ok: queued")
                }
                continue
            }
            switch line.prefix(4).uppercased() {
            case "EHLO": reply(context, "250-sink\r\n250-PIPELINING\r\n250 SIZE 10485760")
            case "DATA":
                inData = true
                reply(context, "354 End data with <CR><LF>.<CR><LF>")
            case "QUIT":
                reply(context, "221 Bye")
                context.close(promise: nil)
            default: reply(context, "250 Ok")
            }
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ text: String) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text + "\r\n")), promise: nil)
    }
}
