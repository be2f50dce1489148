extension Migration {
    /// Email: per-message subject and engagement counts, the firm's sender identity and tracking switch, suppression
    /// lists, and secrets the service generates for itself (the tracking key).
    static let email = Migration(version: 6, name: "email", sqlite: statements, postgres: statements)

    private static let statements = [
        "ALTER TABLE messages ADD COLUMN subject TEXT",
        "ALTER TABLE messages ADD COLUMN opens BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE messages ADD COLUMN clicks BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE messages ADD COLUMN opened_at BIGINT",
        "ALTER TABLE messages ADD COLUMN clicked_at BIGINT",
        "ALTER TABLE firms ADD COLUMN email_from TEXT",
        "ALTER TABLE firms ADD COLUMN email_from_name TEXT",
        "ALTER TABLE firms ADD COLUMN email_reply_to TEXT",
        "ALTER TABLE firms ADD COLUMN email_tracking BIGINT NOT NULL DEFAULT 1",
        """
        CREATE TABLE email_suppressions (
            firm_id BIGINT NOT NULL REFERENCES firms (id),
            address TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (firm_id, address)
        )
        """,
        "CREATE TABLE service_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at BIGINT NOT NULL)",
    ]
}
