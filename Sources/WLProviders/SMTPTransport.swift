import Foundation
public import Logging
import NIOSSL
public import ServiceLifecycle
public import WLDomain
public import WLServices

/// Sends email through an SMTP relay over a bounded pool of reused sessions (``SMTPConnection``). A session that
/// failed in any way is closed, never reused. On graceful shutdown the idle sessions say QUIT.
public final class SMTPTransport: EmailTransport, Service {
    let settings: SMTPSettings
    let tls: NIOSSLContext?
    let pool: SMTPPool
    let logger: Logger

    /// - Throws: When the CA file cannot be read.
    public init(settings: SMTPSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        if settings.tls == .none {
            tls = nil
        } else {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            tls = try NIOSSLContext(configuration: configuration)
        }
        pool = SMTPPool(limit: settings.poolSize)
    }

    public func send(_ email: OutgoingEmail) async -> EmailSendOutcome {
        let connection: SMTPConnection
        do {
            connection = try await pool.acquire { [settings, tls] in try await SMTPConnection.open(settings, tls: tls) }
        } catch {
            logger.warning("SMTP session failed", metadata: ["error": "\(error)"])
            return Self.outcome(of: error)
        }
        do {
            let outcome = try await connection.send(email)
            await pool.release(connection, reusable: connection.isReusable)
            return outcome
        } catch {
            await pool.release(connection, reusable: false)
            logger.warning("SMTP send failed", metadata: ["message_id": "\(email.messageID)", "error": "\(error)"])
            return Self.outcome(of: error)
        }
    }

    /// A session that could not be opened or broke: transient, whatever the reply. A refused greeting, EHLO,
    /// STARTTLS or AUTH (535: wrong password) is a problem of the relay or of our settings, not of the email, so the
    /// email is tried again with backoff (and fails after `dispatch.maxAttempts`) rather than failing a blast at once.
    static func outcome(of error: any Error) -> EmailSendOutcome {
        .transient(response: "\(error)")
    }

    /// Waits for graceful shutdown, then closes the idle sessions.
    public func run() async throws {
        try? await gracefulShutdown()
        await pool.closeAll()
    }
}

/// At most `limit` sessions, idle ones reused newest first; callers beyond the limit wait their turn.
actor SMTPPool {
    let limit: Int
    private var idle: [SMTPConnection] = []
    private var open = 0
    /// Callers waiting for a session; each is resumed with whether a session was handed to it (false: it left the
    /// line, cancelled).
    private var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiter = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// How many callers wait for a session.
    var waiting: Int { waiters.count }

    func acquire(_ make: @Sendable () async throws -> SMTPConnection) async throws -> SMTPConnection {
        while true {
            while let connection = idle.popLast() {
                if connection.isActive { return connection }
                open -= 1
            }
            if open < limit {
                open += 1
                do {
                    return try await make()
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            // A caller cancelled while it waits (the shutdown's grace is over) leaves the line at once.
            let id = nextWaiter
            nextWaiter += 1
            let handed = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if Task.isCancelled { continuation.resume(returning: false) } else { waiters.append((id, continuation)) }
                }
            } onCancel: {
                Task { await self.leaveLine(id) }
            }
            if Task.isCancelled {
                // Woken for a free session just as it was cancelled: pass the session on.
                if handed { wakeOne() }
                throw CancellationError()
            }
        }
    }

    private func leaveLine(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    func release(_ connection: SMTPConnection, reusable: Bool) async {
        if reusable {
            idle.append(connection)
        } else {
            open -= 1
            await connection.close()
        }
        wakeOne()
    }

    func closeAll() async {
        let closing = idle
        idle = []
        open -= closing.count
        for connection in closing { await connection.close() }
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().continuation.resume(returning: true) }
    }
}
