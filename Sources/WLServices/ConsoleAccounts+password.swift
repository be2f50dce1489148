import WLDomain

extension ConsoleAccounts {
    /// Changes the signed-in user's password. The current one must be given, and a wrong one counts as a failed
    /// sign-in (the account's lock applies here as at sign-in), so a session left open on a shared computer cannot
    /// be used to guess the password or take the account over. Every other session of the user ends, so a leaked
    /// password stops working elsewhere; this session stays. The failed sign-ins are cleared.
    /// - Returns: How many other sessions ended.
    /// - Throws: `.validation` naming `new_password` (too short, too long, a NUL, or the current one again) or
    ///   `current_password` (not the current password); `.accountLocked` with `retryAfter` while the account is
    ///   locked; `.conflict` when the password was changed meanwhile; `.unauthenticated` when the user was removed.
    public func changePassword(_ identity: ConsoleIdentity, current: String, new: String, origin: AuditOrigin) async throws -> Int {
        let password: String
        do {
            password = try ConsoleCredentials.password(new)
        } catch let error as DomainError where error.code == .validation {
            throw DomainError(.validation, error.message, fields: ["new_password": error.fields.values.flatMap { $0 }])
        }
        // Compared before the current password is checked, so the answer says nothing about the current one; bytes,
        // as bcrypt reads them.
        guard Array(current.utf8) != Array(new.utf8) else {
            throw DomainError(.validation, "The new password is the one given as current.", fields: ["new_password": ["choose a new password"]])
        }
        // The user as they are now: their lock, and the hash the change will replace.
        guard let user = try await store.user(email: identity.user.email), user.id == identity.user.id else {
            throw DomainError(.unauthenticated, "Sign in first: the session is missing or has ended.")
        }
        let now = time.now
        if let seconds = SignInLockout.secondsLeft(lockedUntil: user.lockedUntil, now: now) {
            throw DomainError(.accountLocked, "Too many failed sign-ins: try again in \(seconds) s.", retryAfter: seconds)
        }
        guard current.utf8.count <= ConsoleCredentials.maximumPasswordBytes, try await verify(current, hash: user.passwordHash) else {
            let after = try? await store.recordFailedSignIn(userID: user.id) { SignInLockout.lockedUntil(afterFailures: $0, now: now) }
            let failures = after.map { "failure \($0.failedSignIns)" + ($0.lockedUntil == nil ? "" : "; locked") } ?? "failure"
            await audit(origin.as(user), firmID: user.firmID, action: "user.password_change_failed", detail: failures)
            throw DomainError(.validation, "The current password is wrong.", fields: ["current_password": ["not your current password"]])
        }
        let ended: Int
        do {
            ended = try await store.changePassword(
                userID: user.id, checkedHash: user.passwordHash, passwordHash: try await hash(password), keepingSession: identity.session.id)
        } catch let error as DomainError where error.code == .notFound {
            throw DomainError(.conflict, "The password was changed (or the user removed) meanwhile; sign in again.")
        }
        await audit(origin.as(user), firmID: user.firmID, action: "user.password_change", detail: "other sessions ended: \(ended)")
        return ended
    }
}
