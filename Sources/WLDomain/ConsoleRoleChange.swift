/// Who may change a console user's role, and to what.
///
/// The same people as for a removal (``ConsoleUserRemoval``): a firm's owner changes any other user of the firm, a
/// platform admin any firm's user, nobody their own (an owner who demoted themselves could leave the firm with no
/// owner), though an admin may leave a firm with none (as by removing its last owner). The role is owner or
/// developer; admins are made only from the command line. A firm that is suspended or expired may still demote (that
/// takes access away) but not promote: the HTTP routes check that, as they do for every write.
public enum ConsoleRoleChange {
    /// `target` with role `role`, when `actor` may give it.
    /// - Throws: As ``ConsoleUserRemoval/check(actor:target:firmID:)``, and `.validation` for the admin role.
    public static func check(actor: ConsoleUser, target: ConsoleUser?, firmID: Int64, role: ConsoleRole) throws -> ConsoleUser {
        var user = try ConsoleUserRemoval.permitted(
            actor: actor, target: target, firmID: firmID, forbidden: "Only the firm's owner may change roles.",
            ownUser: "You cannot change your own role: ask another owner of the firm or the platform's admin.")
        guard role != .admin else {
            throw DomainError(.validation, "The request is not valid.", fields: ["role": ["owner or developer"]])
        }
        user.role = role
        return user
    }
}
