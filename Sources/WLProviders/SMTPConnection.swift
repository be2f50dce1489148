import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import WLDomain
import WLServices

/// One SMTP session: connected, greeted, EHLO'd, upgraded to TLS and authenticated as the settings say, then able to
/// send messages one after another (with RSET between them). Every wait has the settings' timeout.
final class SMTPConnection: Sendable {
    let channel: any NIOCore.Channel
    private let handler: NIOLoopBound<SMTPReplyHandler>
    let settings: SMTPSettings
    /// The server's EHLO keywords after TLS and AUTH.
    let extensions: [String: String]
    private let sent = NIOLockedValueBox(0)
    /// Set once the session is in a state no further message should rely on: the server said 421 (it is closing the
    /// session, RFC 5321 3.8) or answered DATA with something other than 354.
    private let spoiled = NIOLockedValueBox(false)

    private init(channel: any NIOCore.Channel, handler: NIOLoopBound<SMTPReplyHandler>, settings: SMTPSettings, extensions: [String: String]) {
        self.channel = channel
        self.handler = handler
        self.settings = settings
        self.extensions = extensions
    }

    /// Connects and prepares a session.
    /// - Throws: ``SMTPError`` or a connection error.
    static func open(_ settings: SMTPSettings, tls: NIOSSLContext?) async throws -> SMTPConnection {
        let timeout = TimeAmount.milliseconds(Int64(settings.timeout * 1000))
        let implicit = settings.tls == .implicit ? tls : nil
        let host = settings.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicit {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: implicit, serverHostname: Self.sniName(host)))
                    }
                    let undecoded = SMTPUndecodedBytes()
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder(undecoded: undecoded)))
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(undecoded: undecoded))
                }
            }
            .connect(host: settings.host, port: settings.port).get()
        do {
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: SMTPReplyHandler.self), eventLoop: channel.eventLoop)
            }.get()
            var connection = SMTPConnection(channel: channel, handler: handler, settings: settings, extensions: [:])
            let greeting = try await connection.exchange([], replies: 1, step: "greeting")[0]
            guard greeting.code == 220 else { throw SMTPError.refused(greeting) }
            var extensions = try await connection.hello()
            if settings.tls == .startTLS {
                guard extensions["STARTTLS"] != nil, let tls else {
                    throw SMTPError.unsupported("The SMTP server does not offer STARTTLS, which smtp.tls=starttls requires")
                }
                let reply = try await connection.exchange(["STARTTLS"], step: "STARTTLS")[0]
                guard reply.code == 220 else { throw SMTPError.refused(reply) }
                try await channel.eventLoop.submit {
                    guard handler.value.hasNothingUnread else {
                        throw SMTPError.malformed("the SMTP server sent more after its 220 to STARTTLS (response injection)")
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(host)), position: .first)
                }.get()
                extensions = try await connection.hello()
            }
            if let user = settings.user {
                try await connection.authenticate(user: user, password: settings.password ?? "", offered: extensions["AUTH"] ?? "")
            }
            connection = SMTPConnection(channel: channel, handler: handler, settings: settings, extensions: extensions)
            return connection
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// The SNI name: the host, unless it is an IP address (then certificates are matched by address).
    static func sniName(_ host: String) -> String? {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        return inet_pton(AF_INET, host, &ipv4) == 1 || inet_pton(AF_INET6, host, &ipv6) == 1 ? nil : host
    }

    /// EHLO, or HELO when EHLO is refused; the keywords offered.
    private func hello() async throws -> [String: String] {
        let reply = try await exchange(["EHLO \(settings.heloName)"], step: "EHLO")[0]
        if reply.code == 250 { return reply.extensions }
        let helo = try await exchange(["HELO \(settings.heloName)"], step: "HELO")[0]
        guard helo.code == 250 else { throw SMTPError.refused(helo) }
        return [:]
    }

    /// AUTH PLAIN, or LOGIN when only LOGIN is offered.
    private func authenticate(user: String, password: String, offered: String) async throws {
        let mechanisms = Set(offered.split(separator: " ").map(String.init))
        let encode = { (text: String) in Data(text.utf8).base64EncodedString() }
        let reply: SMTPReply
        if mechanisms.contains("PLAIN") || !mechanisms.contains("LOGIN") {
            reply = try await exchange(["AUTH PLAIN " + encode("\0\(user)\0\(password)")], step: "AUTH")[0]
        } else {
            let start = try await exchange(["AUTH LOGIN"], step: "AUTH")[0]
            guard start.code == 334 else { throw SMTPError.refused(start) }
            let name = try await exchange([encode(user)], step: "AUTH")[0]
            guard name.code == 334 else { throw SMTPError.refused(name) }
            reply = try await exchange([encode(password)], step: "AUTH")[0]
        }
        guard reply.code == 235 else { throw SMTPError.refused(reply) }
    }

    /// Sends one message: RSET first when the session sent one before, then MAIL, RCPT and DATA (pipelined with the
    /// RSET when the server offers PIPELINING, RFC 2920, so a message costs two round trips, not three), then the
    /// content.
    func send(_ email: OutgoingEmail) async throws -> EmailSendOutcome {
        let reset = sent.withLockedValue { sent in
            sent += 1
            return sent > 1
        }
        let content = Self.dotStuffed(email.data)
        let size = extensions["SIZE"] != nil ? " SIZE=\(content.utf8.count)" : ""
        let envelope = ["MAIL FROM:<\(email.from.address.value)>\(size)", "RCPT TO:<\(email.to.value)>", "DATA"]
        var replies: [SMTPReply]
        if extensions["PIPELINING"] != nil {
            replies = try await exchange((reset ? ["RSET"] : []) + envelope, step: reset ? "RSET/MAIL/RCPT/DATA" : "MAIL/RCPT/DATA")
            if reset {
                let reply = replies.removeFirst()
                guard reply.code == 250 else { throw SMTPError.refused(reply) }
            }
        } else {
            if reset {
                let reply = try await exchange(["RSET"], step: "RSET")[0]
                guard reply.code == 250 else { throw SMTPError.refused(reply) }
            }
            var collected: [SMTPReply] = []
            for command in envelope {
                let reply = try await exchange([command], step: String(command.prefix(4)))[0]
                collected.append(reply)
                if !reply.isPositive { break }
            }
            replies = collected
        }
        if replies.contains(where: { $0.code == 421 }) { spoiled.withLockedValue { $0 = true } }
        // A server that asks for the content after refusing the envelope waits for it: the next email's commands
        // would be read as this one's text.
        if replies.count > 2, replies[2].code == 354, !replies[0].isPositive || !replies[1].isPositive {
            spoiled.withLockedValue { $0 = true }
        }
        if let mail = replies.first, !mail.isPositive { return Self.outcome(of: mail, atRecipient: false) }
        if replies.count > 1, !replies[1].isPositive { return Self.outcome(of: replies[1], atRecipient: true) }
        guard replies.count > 2, replies[2].code == 354 else {
            guard let data = replies.dropFirst(2).first, data.isPositive else { return Self.outcome(of: replies.last!, atRecipient: false) }
            // A positive reply that is not 354: the content was never asked for, so nothing was sent, whatever it says.
            spoiled.withLockedValue { $0 = true }
            return .transient(response: "Unexpected reply to DATA: \(data.description)")
        }
        let accepted = try await exchange([content + ".\r\n"], step: "end of DATA", raw: true)[0]
        if accepted.code == 421 { spoiled.withLockedValue { $0 = true } }
        return Self.outcome(of: accepted, atRecipient: false)
    }

    /// Whether another message may be sent in this session: connected, and not spoiled by a 421 or an odd DATA reply.
    var isReusable: Bool { channel.isActive && !spoiled.withLockedValue { $0 } }

    /// 2xx delivered; 4xx transient, and 552 to a recipient (a full mailbox, RFC 5321 4.5.3.1.10); 5xx rejected,
    /// suppressing the address only when the refusal is about the address itself (``refusesTheAddress(_:)``).
    static func outcome(of reply: SMTPReply, atRecipient: Bool) -> EmailSendOutcome {
        if reply.code == 250 || reply.code == 251 { return .delivered(response: reply.description) }
        if reply.isTransient || (atRecipient && reply.code == 552) { return .transient(response: reply.description) }
        return .rejected(response: reply.description, suppress: atRecipient && refusesTheAddress(reply))
    }

    /// Whether a refused RCPT says the mailbox does not exist or cannot be (550, 551, 553 with no enhanced status code
    /// or a 5.1.x one), not the relay's policy (5.7.x: relaying denied, authentication, reputation) or its system:
    /// a misconfigured relay would otherwise suppress every address of a blast for good.
    static func refusesTheAddress(_ reply: SMTPReply) -> Bool {
        guard [550, 551, 553].contains(reply.code) else { return false }
        let text = reply.lines.first?.trimmingCharacters(in: .whitespaces) ?? ""
        guard let first = text.first, first.isNumber, text.dropFirst().first == "." else { return true }
        return text.hasPrefix("5.1.")
    }

    /// The message with every line that starts with "." given another (RFC 5321 4.5.2), ending in CRLF. Written over
    /// the bytes: Foundation's `replacingOccurrences` was 5 % of the CPU while email was sent.
    static func dotStuffed(_ data: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(data.utf8.count + 16)
        var lineStart = true
        var previous: UInt8 = 0
        for byte in data.utf8 {
            if lineStart && byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            lineStart = previous == UInt8(ascii: "\r") && byte == UInt8(ascii: "\n")
            previous = byte
        }
        let lineEnd = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        if !out.suffix(2).elementsEqual(lineEnd) { out.append(contentsOf: lineEnd) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Says goodbye and closes (errors ignored: the connection is going anyway).
    func close() async {
        _ = try? await exchange(["QUIT"], step: "QUIT")
        try? await channel.close()
    }

    var isActive: Bool { channel.isActive }

    /// Writes `commands` (each followed by CRLF unless `raw`) in one flush and waits for `replies` replies (one per
    /// command by default), failing with a timeout after the settings' limit, or at once when the task is cancelled
    /// (the connection is closed then: a reply may be on its way, so the session cannot be trusted again).
    private func exchange(_ commands: [String], replies: Int? = nil, step: String, raw: Bool = false) async throws -> [SMTPReply] {
        let channel = self.channel
        let handler = self.handler
        let count = replies ?? commands.count
        let loop = channel.eventLoop
        let exchanged = loop.flatSubmit { () -> EventLoopFuture<[SMTPReply]> in
            let futures = (0..<count).map { _ in
                let promise = loop.makePromise(of: SMTPReply.self)
                handler.value.expect(promise)
                return promise.futureResult
            }
            if !commands.isEmpty {
                var buffer = channel.allocator.buffer(capacity: commands.reduce(0) { $0 + $1.utf8.count + 2 })
                for command in commands { buffer.writeString(raw ? command : command + "\r\n") }
                channel.writeAndFlush(buffer, promise: nil)
            }
            let all = EventLoopFuture.whenAllSucceed(futures, on: loop)
            let timer = loop.scheduleTask(in: .milliseconds(Int64(self.settings.timeout * 1000))) {
                handler.value.fail(SMTPError.timeout(step))
                channel.close(promise: nil)
            }
            all.whenComplete { _ in timer.cancel() }
            return all
        }
        return try await withTaskCancellationHandler {
            try await exchanged.get()
        } onCancel: {
            loop.execute {
                handler.value.fail(CancellationError())
                channel.close(promise: nil)
            }
        }
    }
}
