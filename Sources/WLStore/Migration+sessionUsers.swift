extension Migration {
    /// Sessions by user: removing a user deletes their sessions, and a sign-in drops the user's expired ones, without
    /// reading every session.
    static let sessionUsers = Migration(
        version: 25, name: "console sessions by user", sqlite: statements, postgres: statements)

    private static let statements = ["CREATE INDEX console_sessions_user ON console_sessions (user_id)"]
}
