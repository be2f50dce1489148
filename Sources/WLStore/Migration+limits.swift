extension Migration {
    /// Rate-limit state shared by every instance (PostgreSQL), stored Idempotency-Key responses, and per-firm limits.
    static let limits = Migration(version: 7, name: "limits", sqlite: statements, postgres: statements)

    private static let statements = [
        "CREATE TABLE rate_limits (key TEXT PRIMARY KEY, tat BIGINT NOT NULL)",
        """
        CREATE TABLE idempotency_keys (
            firm_id BIGINT NOT NULL REFERENCES firms (id),
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            response_status BIGINT,
            response_body TEXT,
            created_at BIGINT NOT NULL,
            completed_at BIGINT,
            PRIMARY KEY (firm_id, key)
        )
        """,
        "ALTER TABLE firms ADD COLUMN send_rate_quota BIGINT",
        "ALTER TABLE firms ADD COLUMN send_rate_window BIGINT",
        "ALTER TABLE firms ADD COLUMN read_rate_quota BIGINT",
        "ALTER TABLE firms ADD COLUMN read_rate_window BIGINT",
    ]
}
