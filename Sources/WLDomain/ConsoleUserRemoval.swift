/// Who may remove a console user from a firm.
///
/// A firm's owner removes any other user of the firm; a platform admin removes any user of any firm; nobody removes
/// themselves here (an owner who could would leave a firm with no one to sign in to it; the command line can). A user
/// of another firm is not found, so ids reveal nothing across firms.
public enum ConsoleUserRemoval {
    /// The user `actor` may remove from firm `firmID`.
    /// - Parameter target: The user with the id asked for, if it exists.
    /// - Throws: `.forbidden` when `actor` is not an owner of the firm or an admin; `.notFound` when `target` is
    ///   missing or not in the firm; `.conflict` when `target` is `actor`.
    public static func check(actor: ConsoleUser, target: ConsoleUser?, firmID: Int64) throws -> ConsoleUser {
        try permitted(
            actor: actor, target: target, firmID: firmID, forbidden: "Only the firm's owner may remove users.",
            ownUser: "You cannot remove yourself: ask another owner of the firm or the platform's admin.")
    }

    /// The target, when `actor` (an owner of firm `firmID`, or an admin) may manage it (another user of that firm).
    static func permitted(actor: ConsoleUser, target: ConsoleUser?, firmID: Int64, forbidden: String, ownUser: String) throws -> ConsoleUser {
        guard actor.role == .admin || (actor.role == .owner && actor.firmID == firmID) else { throw DomainError(.forbidden, forbidden) }
        guard let target, target.firmID == firmID else { throw DomainError(.notFound, "No such user.") }
        guard target.id != actor.id else { throw DomainError(.conflict, ownUser) }
        return target
    }
}
