public import Foundation
public import WLDomain

/// A console user to create; the password is already hashed.
public struct NewConsoleUser: Sendable {
    public var email: String
    public var role: ConsoleRole
    public var firmID: Int64?
    /// Empty for an invited user who has not chosen a password yet (no sign-in matches it).
    public var passwordHash: String
    /// The SHA-256 of an invitation's token, and when it ends; `nil` for a user made with a password.
    public var invitation: (tokenHash: String, expiresAt: Date)?
    /// When set, the user is made only if the firm has fewer users than this (counted in the same transaction).
    public var firmUsersAtMost: Int?

    public init(
        email: String, role: ConsoleRole, firmID: Int64?, passwordHash: String, invitation: (tokenHash: String, expiresAt: Date)? = nil,
        firmUsersAtMost: Int? = nil
    ) {
        self.email = email
        self.role = role
        self.firmID = firmID
        self.passwordHash = passwordHash
        self.invitation = invitation
        self.firmUsersAtMost = firmUsersAtMost
    }
}

/// How a session's token travels: a cookie for the pages (needs the CSRF token on writes) or a bearer header for
/// the management API.
public enum SessionKind: String, Sendable, Hashable {
    case cookie
    case bearer
}

/// A signed-in session, found by its token's hash.
public struct ConsoleSession: Sendable, Hashable {
    public var id: Int64
    public var userID: Int64
    public var kind: SessionKind
    /// Forms and cookie-authenticated calls must echo it.
    public var csrfToken: String
    public var createdAt: Date
    /// The session ends at this moment whatever its use.
    public var expiresAt: Date
    public var lastSeenAt: Date

    public init(
        id: Int64, userID: Int64, kind: SessionKind, csrfToken: String, createdAt: Date, expiresAt: Date, lastSeenAt: Date
    ) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastSeenAt = lastSeenAt
    }
}

/// A session to open.
public struct NewConsoleSession: Sendable {
    public var tokenHash: String
    public var kind: SessionKind
    public var csrfToken: String
    public var expiresAt: Date
    public var clientAddress: String
    /// The password hash the sign-in's password was checked against: the session opens only while it is still the
    /// user's (a password changed meanwhile opens nothing). `nil`: no such check.
    public var checkedPasswordHash: String?

    public init(
        tokenHash: String, kind: SessionKind, csrfToken: String, expiresAt: Date, clientAddress: String, checkedPasswordHash: String? = nil
    ) {
        self.tokenHash = tokenHash
        self.kind = kind
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
        self.clientAddress = clientAddress
        self.checkedPasswordHash = checkedPasswordHash
    }
}

/// One line of the audit log: who did what, when, from where.
public struct AuditEntry: Sendable, Hashable {
    public var id: Int64
    public var at: Date
    /// The user's email, or `cli` for the command line.
    public var actor: String
    public var actorRole: String
    /// The firm the action touched, if any.
    public var firmID: Int64?
    /// A dotted name such as `api_key.create`.
    public var action: String
    /// What changed, for people; never a secret.
    public var detail: String
    public var clientAddress: String
    public var requestID: String

    public init(
        id: Int64, at: Date, actor: String, actorRole: String, firmID: Int64?, action: String, detail: String,
        clientAddress: String, requestID: String
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.actorRole = actorRole
        self.firmID = firmID
        self.action = action
        self.detail = detail
        self.clientAddress = clientAddress
        self.requestID = requestID
    }
}

/// Counts of a firm's SMS on one day in one final-or-not state, by network.
public struct DeliveryCount: Sendable, Hashable {
    /// `YYYY-MM-DD` in UTC.
    public var day: String
    /// `delivered`, `failed` or `pending` (everything not final).
    public var outcome: String
    /// The recipient's network, or `unknown`.
    public var network: String
    public var count: Int

    public init(day: String, outcome: String, network: String, count: Int) {
        self.day = day
        self.outcome = outcome
        self.network = network
        self.count = count
    }
}

/// A blast's messages counted by status, with its credits.
public struct BlastSummary: Sendable, Hashable {
    public var blastID: String
    public var channel: Channel
    public var reference: String?
    public var createdAt: Date
    public var sendAt: Date
    /// Messages per status (`pending`, `processing`, `delivered`, `failed`); absent statuses have none.
    public var counts: [MessageStatus: Int]
    /// Credits charged and not refunded for the blast's messages.
    public var credits: Credits

    public init(
        blastID: String, channel: Channel, reference: String?, createdAt: Date, sendAt: Date, counts: [MessageStatus: Int], credits: Credits
    ) {
        self.blastID = blastID
        self.channel = channel
        self.reference = reference
        self.createdAt = createdAt
        self.sendAt = sendAt
        self.counts = counts
        self.credits = credits
    }
}

/// Console users, their sessions and the audit log.
public protocol ConsoleStore: Sendable {
    /// - Throws: `.duplicate` when the email is taken; `.notFound` for an unknown firm.
    func createUser(_ user: NewConsoleUser, now: Date) async throws -> ConsoleUser
    /// Sets the password of the user invited with this token hash, if the invitation is still open, and closes it.
    /// - Returns: The user, or `nil` for an unknown, used or expired invitation.
    func acceptInvitation(tokenHash: String, passwordHash: String, now: Date) async throws -> ConsoleUser?
    /// Whether an invitation with this token hash is open at `now` (checked before a password is hashed for it).
    func invitationIsOpen(tokenHash: String, now: Date) async throws -> Bool
    /// The user with this (lower-case) email, or `nil`.
    func user(email: String) async throws -> ConsoleUser?
    /// The users of a firm, or with `nil` every user, by id.
    func users(firmID: Int64?) async throws -> [ConsoleUser]
    /// Counts one more failed sign-in and sets the lock `lock` decides from the new count, in one transaction.
    /// - Returns: The user after it.
    func recordFailedSignIn(userID: Int64, lock: @escaping @Sendable (Int) -> Date?) async throws -> ConsoleUser
    /// Clears the failure count and any lock.
    func unlock(userID: Int64) async throws
    /// Opens a session for the user, clears its failures and records the sign-in, in one transaction.
    /// - Throws: `.notFound` when the user has been removed, or their password hash is no longer
    ///   ``NewConsoleSession/checkedPasswordHash``.
    func openSession(userID: Int64, _ session: NewConsoleSession, now: Date) async throws -> ConsoleSession
    /// The live session with this token hash and its user: not past `expiresAt` and seen within `idle`. Records
    /// `now` as its last use at most once a minute.
    func session(tokenHash: String, idle: TimeInterval, now: Date) async throws -> (ConsoleSession, ConsoleUser)?
    /// Ends the session (again is a no-op).
    func closeSession(tokenHash: String) async throws
    /// Ends every session of the user.
    /// - Returns: How many ended.
    func closeSessions(userID: Int64) async throws -> Int
    /// Replaces the user's password hash `checkedHash` (the one the current password was checked against) with
    /// `passwordHash`, clears their failed sign-ins and ends every session of theirs but `keepingSession`, in one
    /// transaction.
    /// - Returns: How many sessions ended.
    /// - Throws: `.notFound` when the user has been removed or their hash is no longer `checkedHash` (changed meanwhile).
    func changePassword(userID: Int64, checkedHash: String, passwordHash: String, keepingSession sessionID: Int64) async throws -> Int
    /// Deletes user `id` and every session of theirs and appends the audit line `audit` writes for it, in one
    /// transaction. `decide` gets the acting user (`actorID`; `nil` for the command line) and user `id` as they are
    /// inside that transaction, each `nil` when gone, and returns the user to delete or throws to delete nothing: two
    /// owners removing each other at once go one after the other, and the second finds its actor gone.
    /// - Returns: The deleted user.
    func removeUser(
        id: Int64, actorID: Int64?, decide: @escaping @Sendable (_ actor: ConsoleUser?, _ target: ConsoleUser?) throws -> ConsoleUser,
        audit: @escaping @Sendable (ConsoleUser) -> AuditEntry
    ) async throws -> ConsoleUser
    /// Sets user `id`'s role to the one `decide` returns it with, and appends `audit`'s line when the role changed, in
    /// one transaction; `decide` sees both users as ``removeUser(id:actorID:decide:audit:)``'s does. Sessions go on:
    /// each request reads the user's role afresh.
    /// - Returns: The user with its role now.
    func changeRole(
        id: Int64, actorID: Int64?, decide: @escaping @Sendable (_ actor: ConsoleUser?, _ target: ConsoleUser?) throws -> ConsoleUser,
        audit: @escaping @Sendable (_ before: ConsoleUser, _ after: ConsoleUser) -> AuditEntry
    ) async throws -> ConsoleUser
    /// Appends a line to the audit log.
    func appendAudit(_ entry: AuditEntry) async throws
    /// Moves credits as an admin adjustment (ledger kind `adjustment`, `reason` as its reference) and writes the
    /// audit line `audit` makes of its ledger row, in one transaction; the balance never goes below zero.
    /// - Throws: `.insufficientCredits` when a removal would take the balance below zero; `.notFound` for an unknown firm.
    func adjustCredits(
        firmID: Int64, amount: Credits, reason: String, now: Date, audit: @escaping @Sendable (LedgerEntry) -> AuditEntry
    ) async throws -> LedgerEntry
    /// Sets the `detail` of every audit line whose action is one of `actions` to what `rewrite` makes of it, where that
    /// differs: for lines written before a rule about what the log may keep changed.
    /// - Returns: How many lines changed.
    func rewriteAuditDetails(actions: [String], _ rewrite: @escaping @Sendable (String) -> String) async throws -> Int
    /// The audit log, newest first, optionally one firm's, `limit` lines after the id `startingAfter`.
    func auditLog(firmID: Int64?, limit: Int, startingAfter: Int64?) async throws -> [AuditEntry]
    /// The firm's blast with this id, its messages counted by status; `nil` for an unknown or another firm's blast.
    func blastSummary(firmID: Int64, blastID: String) async throws -> BlastSummary?
    /// The firm's SMS created since `since`, counted by UTC day, outcome and network.
    func deliveryCounts(firmID: Int64, since: Date) async throws -> [DeliveryCount]
}
