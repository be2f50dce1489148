public import Foundation
import HummingbirdBcrypt
public import Logging
import Synchronization
public import WLDomain
public import WLPorts

/// How console sessions and passwords behave.
public struct ConsoleSettings: Sendable {
    /// bcrypt's cost (work factor 2^cost); 12 in production, as low as 4 in tests.
    public var bcryptCost: Int
    /// A session unused this long ends, in seconds.
    public var idleTimeout: TimeInterval
    /// A session ends this long after sign-in whatever its use, in seconds.
    public var lifetime: TimeInterval

    public init(bcryptCost: Int = 12, idleTimeout: TimeInterval = 1_800, lifetime: TimeInterval = 43_200) {
        self.bcryptCost = bcryptCost
        self.idleTimeout = idleTimeout
        self.lifetime = lifetime
    }
}

/// Who is signed in: the session, its user and the user's firm (none for an admin).
public struct ConsoleIdentity: Sendable {
    public var session: ConsoleSession
    public var user: ConsoleUser
    public var firm: Firm?

    public init(session: ConsoleSession, user: ConsoleUser, firm: Firm?) {
        self.session = session
        self.user = user
        self.firm = firm
    }

    /// The user's firm.
    /// - Throws: `.forbidden` for an admin, who has none.
    public func requireFirm() throws -> Firm {
        guard let firm, user.role.belongsToFirm else { throw DomainError(.forbidden, "Only a firm's users may do this.") }
        return firm
    }

    /// - Throws: `.forbidden` unless the user is a platform admin.
    public func requireAdmin() throws {
        guard user.role == .admin else { throw DomainError(.forbidden, "Only a platform admin may do this.") }
    }
}

/// Where an action came from, for the audit log.
public struct AuditOrigin: Sendable {
    public var actor: String
    public var role: String
    public var clientAddress: String
    public var requestID: String

    public init(actor: String, role: String, clientAddress: String, requestID: String) {
        self.actor = actor
        self.role = role
        self.clientAddress = clientAddress
        self.requestID = requestID
    }

    /// The command line, run by whoever can open the database.
    public static let commandLine = AuditOrigin(actor: "cli", role: "cli", clientAddress: "local", requestID: "")
}

/// Console users: creating them, signing in with lockout, and finding the session behind a token.
public struct ConsoleAccounts: Sendable {
    /// The sandbox firm's console user, made by `seed-sandbox` (development only).
    public static let sandboxEmail = "sandbox@worldledgers.test"
    /// Its password, published like the sandbox key.
    public static let sandboxPassword = "sandbox-password-1"

    let store: any Store
    let time: any TimeSource
    let settings: ConsoleSettings
    let logger: Logger
    /// Where bcrypt runs (one hash at a time, a bounded line).
    let passwords: PasswordLine

    public init(
        store: any Store, time: any TimeSource, settings: ConsoleSettings = ConsoleSettings(), passwords: PasswordLine = .shared, logger: Logger
    ) {
        self.store = store
        self.time = time
        self.settings = settings
        self.passwords = passwords
        self.logger = logger
    }

    /// Creates a user with a password (hashed with bcrypt; the password is never stored or logged).
    /// - Throws: `.validation` for a bad email, password or role/firm pair; `.duplicate` for a taken email.
    public func createUser(
        email: String, password: String, role: ConsoleRole, firmID: Int64?, origin: AuditOrigin
    ) async throws
        -> ConsoleUser
    {
        let email = try ConsoleCredentials.email(email)
        let password = try ConsoleCredentials.password(password)
        guard role.belongsToFirm == (firmID != nil) else {
            throw DomainError(
                .validation, role.belongsToFirm ? "An owner or developer belongs to a firm." : "An admin belongs to no firm.",
                fields: ["firm": [role.belongsToFirm ? "required" : "not allowed"]])
        }
        let hash = try await hash(password, origin: origin)
        let user = try await store.createUser(NewConsoleUser(email: email, role: role, firmID: firmID, passwordHash: hash), now: time.now)
        await audit(origin, firmID: firmID, action: "user.create", detail: "\(email) as \(role.rawValue)")
        return user
    }

    /// The most console users an owner may invite a firm up to (its pages and the management API list them all).
    public static let maximumUsersPerFirm = 50

    /// How long an invitation link works.
    public static let invitationLifetime: TimeInterval = 72 * 3_600

    /// Invites a firm user: the user exists at once without a password, and the returned token (for the link
    /// `/console/invite/{token}`, shown once) lets them choose one within 72 hours.
    /// - Throws: `.validation` for a bad email or an admin role; `.duplicate` for a taken email; `.conflict` when the
    ///   firm has ``maximumUsersPerFirm`` users.
    public func invite(email: String, role: ConsoleRole, firmID: Int64, origin: AuditOrigin) async throws -> (user: ConsoleUser, token: SessionToken)
    {
        let email = try ConsoleCredentials.email(email)
        guard role.belongsToFirm else {
            throw DomainError(.validation, "Invite an owner or a developer; admins are made with the CLI.", fields: ["role": ["owner or developer"]])
        }
        let token = SessionToken.generate()
        let user = try await store.createUser(
            NewConsoleUser(
                email: email, role: role, firmID: firmID, passwordHash: "",
                invitation: (token.hash, time.now.addingTimeInterval(Self.invitationLifetime)), firmUsersAtMost: Self.maximumUsersPerFirm),
            now: time.now)
        await audit(origin, firmID: firmID, action: "user.invite", detail: "\(email) as \(role.rawValue)")
        return (user, token)
    }

    /// Sets an invited user's password.
    /// - Throws: `.validation` for a bad password; `.notFound` for an unknown, used or expired invitation.
    public func acceptInvitation(_ token: SessionToken?, password: String, origin: AuditOrigin) async throws -> ConsoleUser {
        let password = try ConsoleCredentials.password(password)
        guard let token else { throw DomainError(.notFound, "This invitation link is not valid.") }
        // Looked up before the password is hashed, so guessed tokens cost no bcrypt.
        guard try await store.invitationIsOpen(tokenHash: token.hash, now: time.now) else {
            throw DomainError(.notFound, "This invitation link is not valid, has been used, or has expired. Ask for a new one.")
        }
        let hash = try await hash(password)
        guard let user = try await store.acceptInvitation(tokenHash: token.hash, passwordHash: hash, now: time.now) else {
            throw DomainError(.notFound, "This invitation link is not valid, has been used, or has expired. Ask for a new one.")
        }
        await audit(origin.as(user), firmID: user.firmID, action: "user.accept_invitation", detail: user.email)
        return user
    }

    /// Whether the sandbox console user exists and still signs in with its published password (one bcrypt check).
    public func sandboxUserKeepsItsPublishedPassword() async throws -> Bool {
        guard let user = try await store.user(email: Self.sandboxEmail), !user.isInvitationPending else { return false }
        return try await verify(Self.sandboxPassword, hash: user.passwordHash)
    }

    /// Makes sure the sandbox firm has its published console user.
    public func seedSandboxUser(firm: Firm) async throws {
        guard try await store.user(email: Self.sandboxEmail) == nil else { return }
        do {
            _ = try await createUser(
                email: Self.sandboxEmail, password: Self.sandboxPassword, role: .owner, firmID: firm.id, origin: .commandLine)
        } catch let error as DomainError where error.code == .duplicate {
            // Another process seeded it at the same moment.
        }
    }

    /// Checks the password and opens a session.
    /// - Throws: `.unauthenticated` for an unknown email or a wrong password (the same answer and about the same
    ///   time for both); `.accountLocked` with `retryAfter` while the account is locked.
    public func signIn(
        email: String, password: String, kind: SessionKind, origin: AuditOrigin
    ) async throws
        -> (token: SessionToken, identity: ConsoleIdentity)
    {
        let refusal = DomainError(.unauthenticated, "Wrong email or password.")
        let now = time.now
        guard let email = try? ConsoleCredentials.email(email), password.utf8.count <= ConsoleCredentials.maximumPasswordBytes,
            let user = try await store.user(email: email)
        else {
            _ = try await passwords.run { [cost = settings.bcryptCost] in Bcrypt.verify(password, hash: DecoyHashes.shared.hash(cost: cost)) }
            throw refusal
        }
        if let seconds = SignInLockout.secondsLeft(lockedUntil: user.lockedUntil, now: now) {
            throw DomainError(.accountLocked, "Too many failed sign-ins: try again in \(seconds) s.", retryAfter: seconds)
        }
        guard !user.isInvitationPending else {
            _ = try await passwords.run { [cost = settings.bcryptCost] in Bcrypt.verify(password, hash: DecoyHashes.shared.hash(cost: cost)) }
            throw refusal
        }
        guard try await verify(password, hash: user.passwordHash) else {
            // A user removed while the password was checked is as unknown as any other.
            let after: ConsoleUser
            do {
                after = try await store.recordFailedSignIn(userID: user.id) { SignInLockout.lockedUntil(afterFailures: $0, now: now) }
            } catch let error as DomainError where error.code == .notFound {
                throw refusal
            }
            await audit(
                origin.as(user), firmID: user.firmID, action: "session.sign_in_failed",
                detail: after.lockedUntil == nil ? "failure \(after.failedSignIns)" : "failure \(after.failedSignIns); locked")
            throw refusal
        }
        // Concurrent wrong guesses may have locked the account while this one waited for the password thread: a
        // right password then opens nothing either, so a burst gets no more tries than the lock allows.
        if let lockedUntil = try await store.user(email: email)?.lockedUntil,
            let seconds = SignInLockout.secondsLeft(lockedUntil: lockedUntil, now: time.now)
        {
            throw DomainError(.accountLocked, "Too many failed sign-ins: try again in \(seconds) s.", retryAfter: seconds)
        }
        let token = SessionToken.generate()
        let session: ConsoleSession
        do {
            session = try await store.openSession(
                userID: user.id,
                NewConsoleSession(
                    tokenHash: token.hash, kind: kind, csrfToken: SessionToken.generate().secret,
                    expiresAt: now.addingTimeInterval(settings.lifetime), clientAddress: origin.clientAddress,
                    checkedPasswordHash: user.passwordHash),
                now: now)
        } catch let error as DomainError where error.code == .notFound {
            throw refusal
        }
        await audit(origin.as(user), firmID: user.firmID, action: "session.sign_in", detail: kind.rawValue)
        return (token, ConsoleIdentity(session: session, user: user, firm: try await firm(of: user)))
    }

    /// The identity behind a session token.
    /// - Throws: `.unauthenticated` when the session is unknown, ended or idle too long.
    public func identity(_ token: SessionToken?) async throws -> ConsoleIdentity {
        guard let token, let (session, user) = try await store.session(tokenHash: token.hash, idle: settings.idleTimeout, now: time.now)
        else { throw DomainError(.unauthenticated, "Sign in first: the session is missing or has ended.") }
        return ConsoleIdentity(session: session, user: user, firm: try await firm(of: user))
    }

    /// Ends the session.
    public func signOut(_ token: SessionToken) async throws {
        try await store.closeSession(tokenHash: token.hash)
    }

    /// Ends every session of `user` (every browser and bearer token, the one asking too), for a lost laptop or a
    /// leaked token; audited as `user.sign_out_everywhere`.
    /// - Returns: How many sessions ended.
    public func signOutEverywhere(_ user: ConsoleUser, origin: AuditOrigin) async throws -> Int {
        let ended = try await store.closeSessions(userID: user.id)
        await audit(origin, firmID: user.firmID, action: "user.sign_out_everywhere", detail: "\(user.email): \(ended) session(s)")
        return ended
    }

    /// The user with this email, for the command line.
    /// - Throws: `.validation` for a malformed email; `.notFound`.
    private func user(named email: String) async throws -> ConsoleUser {
        guard let user = try await store.user(email: try ConsoleCredentials.email(email)) else {
            throw DomainError(.notFound, "No user \(email).")
        }
        return user
    }

    /// Ends every session of the user with this email, from the command line.
    /// - Throws: `.notFound`.
    public func signOutEverywhere(email: String) async throws -> (user: ConsoleUser, ended: Int) {
        let user = try await user(named: email)
        return (user, try await signOutEverywhere(user, origin: .commandLine))
    }

    /// Clears a user's failed sign-ins and lock.
    /// - Throws: `.notFound`.
    public func unlock(email: String) async throws {
        let user = try await user(named: email)
        try await store.unlock(userID: user.id)
        await audit(.commandLine, firmID: user.firmID, action: "user.unlock", detail: user.email)
    }

    /// Removes user `id` of firm `firmID` on behalf of `actor` (see ``ConsoleUserRemoval``, checked against both
    /// users as they are when the removal commits); their sessions end at once and an invitation of theirs stops
    /// working. The audit line is written in the same transaction.
    /// - Throws: `.forbidden`, `.notFound` or `.conflict` from the rule; `.unauthenticated` when `actor` was removed
    ///   meanwhile.
    public func removeUser(id: Int64, firmID: Int64, by actor: ConsoleUser, origin: AuditOrigin) async throws -> ConsoleUser {
        try await store.removeUser(
            id: id, actorID: actor.id,
            decide: { actorNow, target in
                guard let actorNow else { throw DomainError(.unauthenticated, "Your console account was removed.") }
                return try ConsoleUserRemoval.check(actor: actorNow, target: target, firmID: firmID)
            },
            audit: auditOfRemoval(origin))
    }

    /// Removes a user of any firm, or an admin, from the command line; their sessions end at once.
    /// - Throws: `.notFound`.
    public func removeUser(email: String) async throws -> ConsoleUser {
        let user = try await user(named: email)
        return try await store.removeUser(
            id: user.id, actorID: nil,
            decide: { _, target in
                guard let target else { throw DomainError(.notFound, "No user \(email).") }
                return target
            },
            audit: auditOfRemoval(.commandLine))
    }

    /// Gives user `id` of firm `firmID` role `role` on behalf of `actor` (see ``ConsoleRoleChange``, checked against
    /// both users as they are when the change commits); audited as `user.role` when the role changed. Their sessions
    /// go on with the new role from their next request.
    /// - Throws: `.forbidden`, `.notFound`, `.conflict` or `.validation` from the rule; `.unauthenticated` when `actor`
    ///   was removed meanwhile.
    public func changeRole(id: Int64, firmID: Int64, to role: ConsoleRole, by actor: ConsoleUser, origin: AuditOrigin) async throws -> ConsoleUser {
        try await store.changeRole(
            id: id, actorID: actor.id,
            decide: { actorNow, target in
                guard let actorNow else { throw DomainError(.unauthenticated, "Your console account was removed.") }
                return try ConsoleRoleChange.check(actor: actorNow, target: target, firmID: firmID, role: role)
            },
            audit: auditOfRoleChange(origin))
    }

    /// Gives a firm's user role `role` from the command line.
    /// - Throws: `.notFound`; `.validation` for an admin or the admin role.
    public func changeRole(email: String, to role: ConsoleRole) async throws -> ConsoleUser {
        let user = try await user(named: email)
        return try await store.changeRole(
            id: user.id, actorID: nil,
            decide: { _, target in
                guard var target else { throw DomainError(.notFound, "No user \(email).") }
                guard target.role != .admin, role != .admin else {
                    throw DomainError(.validation, "Only a firm's users change role, to owner or developer.")
                }
                target.role = role
                return target
            },
            audit: auditOfRoleChange(.commandLine))
    }

    private func auditOfRoleChange(_ origin: AuditOrigin) -> @Sendable (ConsoleUser, ConsoleUser) -> AuditEntry {
        let now = time.now
        return { before, after in
            AuditEntry(
                id: 0, at: now, actor: origin.actor, actorRole: origin.role, firmID: after.firmID, action: "user.role",
                detail: "\(after.email) (\(before.role.rawValue) → \(after.role.rawValue))", clientAddress: origin.clientAddress,
                requestID: origin.requestID)
        }
    }

    private func auditOfRemoval(_ origin: AuditOrigin) -> @Sendable (ConsoleUser) -> AuditEntry {
        let now = time.now
        return { user in
            AuditEntry(
                id: 0, at: now, actor: origin.actor, actorRole: origin.role, firmID: user.firmID, action: "user.remove",
                detail: "\(user.email) (\(user.role.rawValue))", clientAddress: origin.clientAddress, requestID: origin.requestID)
        }
    }

    /// The firm's users, or with `nil` every user.
    public func users(firmID: Int64?) async throws -> [ConsoleUser] {
        try await store.users(firmID: firmID)
    }

    /// Writes a line to the audit log for a change already committed. Should the line fail to be written, the change
    /// still stands and its caller is answered as such: the line goes to the error log instead. An error answer would
    /// hide a change that happened (a key made but never shown, a secret rotated but unknown), and a retry would make
    /// it twice.
    public func audit(_ origin: AuditOrigin, firmID: Int64?, action: String, detail: String) async {
        let entry = auditEntry(origin, firmID: firmID, action: action, detail: detail)
        do {
            try await store.appendAudit(entry)
        } catch {
            logger.error(
                "An audit line was not written; the change it records was made",
                metadata: [
                    "action": "\(action)", "firm_id": "\(firmID.map(String.init) ?? "-")", "actor": "\(origin.actor)",
                    "detail": "\(detail)", "request_id": "\(origin.requestID)", "error": "\(error)",
                ])
        }
    }

    /// The audit line for `action` by `origin`, now.
    public func auditEntry(_ origin: AuditOrigin, firmID: Int64?, action: String, detail: String) -> AuditEntry {
        AuditEntry(
            id: 0, at: time.now, actor: origin.actor, actorRole: origin.role, firmID: firmID, action: action, detail: detail,
            clientAddress: origin.clientAddress, requestID: origin.requestID)
    }

    private func firm(of user: ConsoleUser) async throws -> Firm? {
        guard let firmID = user.firmID else { return nil }
        return try await store.firm(id: firmID)
    }

    func hash(_ password: String, origin: AuditOrigin? = nil) async throws -> String {
        let cost = UInt8(clamping: settings.bcryptCost)
        return try await passwords.run(queues: origin?.role == AuditOrigin.commandLine.role) { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await passwords.run { Bcrypt.verify(password, hash: hash) }
    }
}

extension AuditOrigin {
    /// The same origin, naming `user` as the actor (for sign-ins, where the caller does not know who yet).
    func `as`(_ user: ConsoleUser) -> AuditOrigin {
        AuditOrigin(actor: user.email, role: user.role.rawValue, clientAddress: clientAddress, requestID: requestID)
    }
}

/// Bcrypt hashes of no one's password, one per cost, checked for unknown emails so that they take as long as a wrong
/// password at the configured cost. Each is made on first use, on the password thread.
private final class DecoyHashes: Sendable {
    static let shared = DecoyHashes()
    private let hashes = Mutex<[Int: String]>([:])

    func hash(cost: Int) -> String {
        if let known = hashes.withLock({ $0[cost] }) { return known }
        let made = Bcrypt.hash(SessionToken.generate().secret, cost: UInt8(clamping: cost))
        hashes.withLock { $0[cost] = made }
        return made
    }
}
