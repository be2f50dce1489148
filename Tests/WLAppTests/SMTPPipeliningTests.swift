import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import WLDomain
import WLProviders
import WLServices

/// Our SMTP client against a server that offers PIPELINING and holds its replies to a pipelined group until the group
/// ends with DATA, as RFC 2920 allows: a client that waited for the reply to RSET on its own would wait forever.
@Suite struct SMTPPipeliningTests {
    @Test func theResetBetweenMessagesIsPipelinedWithTheNextEnvelope() async throws {
        let server = HoldingSMTPServer()
        let outcomes = try await send(to: ["jane@example.net", "nobody@example.net", "joe@example.net"], through: server)
        #expect(outcomes[0] == .delivered(response: "250 2.0.0 Ok: queued"))
        #expect(outcomes[1] == .rejected(response: "550 5.1.1 No such user", suppress: true))
        #expect(outcomes[2] == .delivered(response: "250 2.0.0 Ok: queued"))
        #expect(server.sessions.load(ordering: .relaxed) == 1)
        #expect(
            server.commands.withLock { $0 } == [
                "EHLO localhost", "MAIL FROM:<bills@firm.example>", "RCPT TO:<jane@example.net>", "DATA", "RSET",
                "MAIL FROM:<bills@firm.example>", "RCPT TO:<nobody@example.net>", "DATA", "RSET", "MAIL FROM:<bills@firm.example>",
                "RCPT TO:<joe@example.net>", "DATA",
            ])
        #expect(server.bodies.withLock { $0.map { $0.contains("X-WL-Message-Id: ") } } == [true, true])
    }

    @Test func after421OrAnOddReplyToDATAtheSessionIsNotUsedAgain() async throws {
        let server = HoldingSMTPServer()
        let outcomes = try await send(to: ["busy@example.net", "jane@example.net", "odd@example.net", "joe@example.net"], through: server)
        #expect(outcomes[0] == .transient(response: "421 4.3.2 Service shutting down"))
        #expect(outcomes[1] == .delivered(response: "250 2.0.0 Ok: queued"))
        #expect(outcomes[2] == .transient(response: "Unexpected reply to DATA: 250 2.0.0 Ok"))
        #expect(outcomes[3] == .delivered(response: "250 2.0.0 Ok: queued"))
        // A new session after each: the 421 one and the one whose DATA was not answered 354.
        #expect(server.sessions.load(ordering: .relaxed) == 3)
        #expect(server.bodies.withLock { $0.count } == 2)
    }

    @Test func aSessionWhoseServerAsksForContentAfterRefusingTheEnvelopeIsNotUsedAgain() async throws {
        let server = HoldingSMTPServer()
        let outcomes = try await send(to: ["loose@example.net", "jane@example.net"], through: server)
        #expect(outcomes[0] == .rejected(response: "550 5.1.1 No such user", suppress: true))
        // The first session waits for content: the next email's commands would have been read as its text.
        #expect(outcomes[1] == .delivered(response: "250 2.0.0 Ok: queued"))
        #expect(server.sessions.load(ordering: .relaxed) == 2)
    }

    /// Sends one email to each recipient in turn through a one-session pool on `server`, and closes the server.
    private func send(to recipients: [String], through server: HoldingSMTPServer) async throws -> [EmailSendOutcome] {
        let channel = try await server.start()
        let port = try #require(channel.localAddress?.port)
        let transport = try SMTPTransport(
            settings: SMTPSettings(host: "127.0.0.1", port: port, tls: .none, poolSize: 1, timeout: 3), logger: Logger(label: "test"))
        var outcomes: [EmailSendOutcome] = []
        for (index, recipient) in recipients.enumerated() {
            outcomes.append(await transport.send(email(Int64(index + 1), to: recipient)))
        }
        try await channel.close()
        return outcomes
    }

    private func email(_ id: Int64, to recipient: String) -> OutgoingEmail {
        OutgoingEmail(
            messageID: id, from: Mailbox(address: EmailAddress("bills@firm.example")!), replyTo: nil, to: EmailAddress(recipient)!,
            subject: "Invoice", text: "Hello", html: "<p>Hello</p>", date: Date(timeIntervalSince1970: 1_796_376_600),
            random: 7)
    }
}

/// The server of ``SMTPPipeliningTests``: it answers EHLO at once, keeps the replies to RSET, MAIL and RCPT until
/// DATA arrives, refuses RCPT to `nobody@` (550) and DATA without an accepted recipient (554), answers RCPT to `busy@`
/// with 421 (and keeps the session open), answers DATA after RCPT to `odd@` with 250 instead of 354 and after the refused
/// RCPT to `loose@` with 354, and records every
/// command and every message body.
final class HoldingSMTPServer: Sendable {
    let commands = Mutex<[String]>([])
    let bodies = Mutex<[String]>([])
    let sessions = Atomic(0)

    func start() async throws -> any NIOCore.Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                self.sessions.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Session(server: self)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    final class Session: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let server: HoldingSMTPServer
        private var pending = ""
        private var held: [String] = []
        private var recipients = 0
        private var body: String?
        private var oddData = false
        private var looseData = false

        init(server: HoldingSMTPServer) {
            self.server = server
        }

        func channelActive(context: ChannelHandlerContext) {
            send(["220 holding ESMTP"], context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readString(length: buffer.readableBytes) ?? ""
            while let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                handle(line, context)
            }
        }

        private func handle(_ line: String, _ context: ChannelHandlerContext) {
            if let text = body {
                guard line == "." else {
                    body = text + line + "\r\n"
                    return
                }
                server.bodies.withLock { $0.append(text) }
                body = nil
                return send(["250 2.0.0 Ok: queued"], context)
            }
            server.commands.withLock { $0.append(line) }
            switch String(line.prefix(4)) {
            case "EHLO": send(["250-holding", "250 PIPELINING"], context)
            case "RSET":
                recipients = 0
                held.append("250 2.0.0 Ok")
            case "MAIL": held.append("250 2.1.0 Ok")
            case "RCPT":
                if line.contains("nobody@") {
                    held.append("550 5.1.1 No such user")
                } else if line.contains("loose@") {
                    // Refused, yet (wrongly) the DATA after it is answered 354.
                    looseData = true
                    held.append("550 5.1.1 No such user")
                } else if line.contains("busy@") {
                    // Says it is closing the session, and (wrongly) keeps it open.
                    held.append("421 4.3.2 Service shutting down")
                } else if line.contains("odd@") {
                    oddData = true
                    held.append("250 2.1.5 Ok")
                } else {
                    recipients += 1
                    held.append("250 2.1.5 Ok")
                }
            case "DATA":
                if looseData {
                    looseData = false
                    body = ""
                    held.append("354 End data with <CR><LF>.<CR><LF>")
                } else if oddData {
                    oddData = false
                    held.append("250 2.0.0 Ok")
                } else if recipients > 0 {
                    body = ""
                    held.append("354 End data with <CR><LF>.<CR><LF>")
                } else {
                    held.append("554 5.5.1 No valid recipients")
                }
                send(held, context)
                held = []
            case "QUIT":
                send(["221 Bye"], context)
                context.close(promise: nil)
            default: send(["502 5.5.2 Not implemented"], context)
            }
        }

        private func send(_ lines: [String], _ context: ChannelHandlerContext) {
            let text = lines.map { $0 + "\r\n" }.joined()
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
        }
    }
}
