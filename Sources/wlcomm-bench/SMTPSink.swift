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

/// One session of ``SMTPSink``. Lines are found in the received bytes as they are (a message's body is only
/// scanned for its final `.`), and the replies to a pipelined group go out in one flush: the first version, which
/// searched a growing `String`, used a tenth of the CPU of the email phase, which the server shares.
final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let sink: SMTPSink
    private var pending: ByteBuffer?
    private var inData = false
    private var repliesWaiting = false

    init(sink: SMTPSink) {
        self.sink = sink
    }

    func channelActive(context: ChannelHandlerContext) {
        reply(context, "220 sink ESMTP")
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if pending == nil {
            pending = incoming
        } else {
            pending!.writeBuffer(&incoming)
        }
        guard var buffer = pending else { return }
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex + 1
            guard let line = buffer.readSlice(length: length) else { break }
            handle(line.readableBytesView.dropLast(line.readableBytesView.last == UInt8(ascii: "\n") ? 1 : 0), context: context)
        }
        buffer.discardReadBytes()
        pending = buffer.readableBytes > 0 ? buffer : nil
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if repliesWaiting {
            repliesWaiting = false
            context.flush()
        }
    }

    /// One line without its LF (a CR before it is still there).
    private func handle(_ line: ByteBufferView.SubSequence, context: ChannelHandlerContext) {
        let text = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        if inData {
            if text.elementsEqual([UInt8(ascii: ".")]) {
                inData = false
                sink.received.withLock { $0 += 1 }
                reply(context, "250 2.0.0 Ok: queued")
            }
            return
        }
        switch String(decoding: text.prefix(4), as: UTF8.self).uppercased() {
        case "EHLO": reply(context, "250-sink\r\n250-PIPELINING\r\n250 SIZE 10485760")
        case "DATA":
            inData = true
            reply(context, "354 End data with <CR><LF>.<CR><LF>")
        case "QUIT":
            reply(context, "221 Bye")
            context.flush()
            context.close(promise: nil)
        default: reply(context, "250 Ok")
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ text: String) {
        context.write(wrapOutboundOut(context.channel.allocator.buffer(string: text + "\r\n")), promise: nil)
        repliesWaiting = true
    }
}
