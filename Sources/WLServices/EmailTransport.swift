public import WLDomain

/// What the relay said about one email.
public enum EmailSendOutcome: Sendable, Hashable {
    /// Accepted (250 after DATA): the email is delivered as far as we can know.
    case delivered(response: String)
    /// Refused for good (5xx); `suppress` when the recipient was refused (at RCPT), so later sends skip it.
    case rejected(response: String, suppress: Bool)
    /// Not sent this time (4xx, timeout, dropped connection): retried with backoff.
    case transient(response: String)
}

/// The email transport port. Adapters: `SandboxEmailTransport`, `SMTPTransport`, and `UnconfiguredEmailTransport`.
public protocol EmailTransport: Sendable {
    func send(_ email: OutgoingEmail) async -> EmailSendOutcome
}

/// The live transport when no SMTP server is configured: every email is refused.
public struct UnconfiguredEmailTransport: EmailTransport {
    public init() {}

    public func send(_ email: OutgoingEmail) async -> EmailSendOutcome {
        .rejected(response: "No SMTP server configured", suppress: false)
    }
}

/// The sandbox: nothing leaves the process. `fail@example.com` is refused at RCPT (and so suppressed); every other
/// address is delivered.
public struct SandboxEmailTransport: EmailTransport {
    /// The sandbox's failing address.
    public static let failingAddress = "fail@example.com"

    public init() {}

    public func send(_ email: OutgoingEmail) async -> EmailSendOutcome {
        if email.to.comparisonKey == Self.failingAddress {
            return .rejected(response: "550 5.1.1 Mailbox unavailable (sandbox)", suppress: true)
        }
        return .delivered(response: "250 2.0.0 Ok (sandbox)")
    }
}
