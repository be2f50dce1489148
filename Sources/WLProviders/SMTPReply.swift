import Foundation
import NIOCore

/// One SMTP reply: its code and its lines (a multi-line reply's text lines, without the code).
struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    var code: Int
    var lines: [String]

    /// `250 2.0.0 Ok: queued as 4F2A1`.
    var description: String { "\(code) " + lines.joined(separator: " ").trimmingCharacters(in: .whitespaces) }

    var isPositive: Bool { (200..<400).contains(code) }
    var isTransient: Bool { (400..<500).contains(code) }

    /// The EHLO keywords (`PIPELINING`, `SIZE 10240000`, `AUTH PLAIN LOGIN`, `STARTTLS`), upper-cased, by keyword.
    var extensions: [String: String] {
        var result: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let keyword = parts.first else { continue }
            result[keyword.uppercased()] = parts.count > 1 ? parts[1].uppercased() : ""
        }
        return result
    }
}

/// Why an SMTP exchange stopped.
enum SMTPError: Error, CustomStringConvertible {
    case timeout(String)
    case closed
    case malformed(String)
    /// The server lacks something the settings require (STARTTLS, AUTH).
    case unsupported(String)
    /// A reply that ends the session attempt (greeting, EHLO, STARTTLS, AUTH).
    case refused(SMTPReply)

    var description: String {
        switch self {
        case .timeout(let step): "Timed out waiting for the SMTP server (\(step))"
        case .closed: "The SMTP server closed the connection"
        case .malformed(let line): "Malformed SMTP reply: \(line.prefix(80))"
        case .unsupported(let what): what
        case .refused(let reply): reply.description
        }
    }
}

/// How many received bytes the decoder holds that are not yet a whole line; shared by the decoder and the handler
/// of one channel, on its event loop.
final class SMTPUndecodedBytes {
    var count = 0
}

/// Splits the byte stream into replies: lines `ddd-text` continue a reply, `ddd text` ends it.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply
    private var lines: [String] = []
    let undecoded: SMTPUndecodedBytes

    init(undecoded: SMTPUndecodedBytes) {
        self.undecoded = undecoded
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        undecoded.count = buffer.readableBytes
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 65_536 { throw SMTPError.malformed("a line longer than 64 KiB") }
            return .needMoreData
        }
        var line = buffer.readString(length: newline - buffer.readerIndex + 1) ?? ""
        undecoded.count = buffer.readableBytes
        while let last = line.unicodeScalars.last, last == "\n" || last == "\r" { line.unicodeScalars.removeLast() }
        guard line.utf8.count >= 3, let code = Int(line.prefix(3)), (200...599).contains(code) else { throw SMTPError.malformed(line) }
        let separator = line.dropFirst(3).first
        lines.append(String(line.dropFirst(4)))
        if separator == "-" { return .continue }
        let reply = SMTPReply(code: code, lines: lines)
        lines = []
        context.fireChannelRead(wrapInboundOut(reply))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Hands each reply to the oldest waiting exchange; fails them all when the connection ends.
final class SMTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = SMTPReply

    private var waiting = CircularBuffer<EventLoopPromise<SMTPReply>>()
    private var early = CircularBuffer<SMTPReply>()
    private var failure: (any Error)?
    let undecoded: SMTPUndecodedBytes

    init(undecoded: SMTPUndecodedBytes) {
        self.undecoded = undecoded
    }

    /// True when nothing was received beyond the replies already taken: checked before TLS starts, so nothing sent in
    /// clear text can pass for an answer inside TLS (STARTTLS response injection).
    var hasNothingUnread: Bool { early.isEmpty && undecoded.count == 0 }

    /// Waits for the next reply.
    func expect(_ promise: EventLoopPromise<SMTPReply>) {
        if let reply = early.popFirst() {
            promise.succeed(reply)
        } else if let failure {
            promise.fail(failure)
        } else {
            waiting.append(promise)
        }
    }

    /// Fails every waiting exchange (a timeout) and any later one.
    func fail(_ error: any Error) {
        if failure == nil { failure = error }
        while let promise = waiting.popFirst() { promise.fail(error) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        if let promise = waiting.popFirst() { promise.succeed(reply) } else { early.append(reply) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPError.closed)
        context.fireChannelInactive()
    }
}
