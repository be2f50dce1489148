public import Foundation

/// What a console user may do.
public enum ConsoleRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// Everything for the user's firm, including buying credits.
    case owner
    /// The firm's keys, webhook, messages and contacts; no purchases.
    case developer
    /// The platform's firms and audit log; no firm of its own.
    case admin

    /// Whether the role belongs to a firm (owner, developer) rather than to the platform.
    public var belongsToFirm: Bool { self != .admin }
}

/// A person who signs in to the console or the management API.
public struct ConsoleUser: Hashable, Sendable {
    public var id: Int64
    /// Lower-cased; unique across the platform.
    public var email: String
    public var role: ConsoleRole
    /// The user's firm; `nil` for a platform admin.
    public var firmID: Int64?
    /// The bcrypt hash of the password; never the password itself.
    public var passwordHash: String
    /// Failed sign-ins since the last successful one.
    public var failedSignIns: Int
    /// No sign-in is tried before this moment.
    public var lockedUntil: Date?
    public var createdAt: Date
    public var lastSignInAt: Date?

    /// Invited and not yet signed up: no password, so no sign-in matches.
    public var isInvitationPending: Bool { passwordHash.isEmpty }

    public init(
        id: Int64, email: String, role: ConsoleRole, firmID: Int64?, passwordHash: String, failedSignIns: Int = 0,
        lockedUntil: Date? = nil, createdAt: Date, lastSignInAt: Date? = nil
    ) {
        self.id = id
        self.email = email
        self.role = role
        self.firmID = firmID
        self.passwordHash = passwordHash
        self.failedSignIns = failedSignIns
        self.lockedUntil = lockedUntil
        self.createdAt = createdAt
        self.lastSignInAt = lastSignInAt
    }
}

/// The rules a console user's email and password must meet.
public enum ConsoleCredentials {
    /// The shortest password accepted, in bytes.
    public static let minimumPasswordBytes = 12
    /// The longest password accepted, in bytes: bcrypt reads no further than 72.
    public static let maximumPasswordBytes = 72
    /// The longest email address accepted.
    public static let maximumEmailLength = 254

    /// The password if it is 12–72 bytes of UTF-8 without NUL.
    /// - Throws: `.validation` naming `password`.
    public static func password(_ password: String) throws -> String {
        let count = password.utf8.count
        guard count >= minimumPasswordBytes else {
            throw DomainError(.validation, "The password is too short.", fields: ["password": ["at least \(minimumPasswordBytes) bytes"]])
        }
        guard count <= maximumPasswordBytes else {
            throw DomainError(.validation, "The password is too long.", fields: ["password": ["at most \(maximumPasswordBytes) bytes"]])
        }
        guard !password.utf8.contains(0) else {
            throw DomainError(.validation, "The password has a NUL character.", fields: ["password": ["no NUL characters"]])
        }
        return password
    }

    /// The address lower-cased if it looks like `local@domain` and is at most 254 characters.
    /// - Throws: `.validation` naming `email`.
    public static func email(_ email: String) throws -> String {
        let lowered = email.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = lowered.split(separator: "@", omittingEmptySubsequences: false)
        guard lowered.utf8.count <= maximumEmailLength, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !lowered.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } ?? false })
        else { throw DomainError(.validation, "The email address is not valid.", fields: ["email": ["invalid"]]) }
        return lowered
    }
}
