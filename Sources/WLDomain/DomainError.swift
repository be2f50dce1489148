/// An error the domain or a service raises on purpose: a stable code plus a message for people.
///
/// The HTTP edge maps ``Code`` to a status in one place; nothing below it knows about HTTP.
public struct DomainError: Error, Hashable, Sendable {
    /// What went wrong, as a machine-readable code.
    public enum Code: String, Sendable, Hashable {
        case unauthenticated
        case accountSuspended
        case subscriptionExpired
        case validation
        case notFound
        case duplicate
        case conflict
        case insufficientCredits
        case payloadTooLarge
        case rateLimited
        /// M-Pesa refused or could not take a payment request.
        case paymentProviderUnavailable
        /// The database cannot be reached (or, on SQLite, cannot be written: the disk is full or failing) now;
        /// nothing was done, and the same request may succeed after ``DomainError/retryAfter`` seconds.
        case serviceUnavailable
        /// Signed in, but the role may not do this (a firm user on an admin route, a developer buying credits).
        case forbidden
        /// Too many failed sign-ins: the account is locked for ``DomainError/retryAfter`` seconds.
        case accountLocked
        /// A console form or cookie-authenticated call without the session's CSRF token.
        case csrfFailed
    }

    public var code: Code
    public var message: String
    /// Field name to messages, for validation errors.
    public var fields: [String: [String]]
    /// Seconds until the request may succeed, for `.rateLimited` and `.serviceUnavailable` (HTTP sends it as
    /// `Retry-After`).
    public var retryAfter: Int?

    public init(_ code: Code, _ message: String, fields: [String: [String]] = [:], retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.fields = fields
        self.retryAfter = retryAfter
    }
}
