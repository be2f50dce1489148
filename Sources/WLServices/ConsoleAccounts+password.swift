import WLDomain

extension ConsoleAccounts {
    /// Changes the signed-in user's password. The current one must be given (a session left open on a shared computer
    /// cannot take the account over); every other session of the user ends, so a leaked password or a stolen session
    /// stops working. The failed sign-ins are cleared.
    /// - Returns: How many other sessions ended.
    /// - Throws: `.validation` naming `current_password` (not the current password) or `new_password` (too short,
    ///   too long, a NUL, or the current one again); `.notFound` when the user was removed meanwhile.
    public func changePassword(_ identity: ConsoleIdentity, current: String, new: String, origin: AuditOrigin) async throws -> Int {
        let user = identity.user
        let password: String
        do {
            password = try ConsoleCredentials.password(new)
        } catch let error as DomainError where error.code == .validation {
            throw DomainError(.validation, error.message, fields: ["new_password": error.fields.values.flatMap { $0 }])
        }
        guard current.utf8.count <= ConsoleCredentials.maximumPasswordBytes, try await verify(current, hash: user.passwordHash) else {
            await audit(origin.as(user), firmID: user.firmID, action: "user.password_change_failed", detail: user.email)
            throw DomainError(.validation, "The current password is wrong.", fields: ["current_password": ["not your current password"]])
        }
        guard current != new else {
            throw DomainError(.validation, "The new password is the current one.", fields: ["new_password": ["choose a new password"]])
        }
        let ended = try await store.changePassword(userID: user.id, passwordHash: try await hash(password), keepingSession: identity.session.id)
        await audit(origin.as(user), firmID: user.firmID, action: "user.password_change", detail: "\(user.email); other sessions ended: \(ended)")
        return ended
    }
}
