extension Migration {
    /// On SQLite the webhook outbox's unique payment and credit event ids become partial unique indexes
    /// (`WHERE … IS NOT NULL`), as migration 17 made them on PostgreSQL, and so does the index of deliveries by
    /// payment. A message's delivery has no payment, payment event or credit event, yet each of its inserts put a NULL
    /// entry into all three: three of the eight B-tree inserts of every outbox row, and a blast writes two outbox rows
    /// per message. The uniqueness is the same, as NULLs never collide, and every lookup of these columns (the
    /// webhook claim's "no earlier pending delivery of this payment" test, a foreign-key check when a payment or
    /// credit event is deleted) compares them with `=`, which implies they are not NULL, so the partial indexes serve
    /// it.
    ///
    /// Measured with `wlcomm-bench --only blasts --blasts 5` on databases migrated beforehand, eight alternating pairs:
    /// dispatch 22,450 msg/s on average with the table-level keys, 24,700 with the partial ones, faster in seven of
    /// the eight pairs (docs/benchmarks-history.md, ninth session).
    ///
    /// SQLite cannot drop a column's UNIQUE: both webhook tables are rebuilt (children first, as migration 12 did),
    /// their AUTOINCREMENT counters carried over so that no id is ever given out twice, and every index is made
    /// again.
    static let sqliteOutboxKeys = Migration(
        version: 21, name: "partial unique outbox keys on SQLite", sqlite: sqliteOutboxRebuild, postgres: [])

    private static let sqliteOutboxRebuild = [
        """
        CREATE TABLE webhook_deliveries_v21 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            firm_id BIGINT NOT NULL REFERENCES firms (id),
            event_id BIGINT UNIQUE REFERENCES message_events (id),
            message_id BIGINT,
            payment_event_id BIGINT REFERENCES payment_events (id),
            payment_id BIGINT,
            credit_event_id BIGINT REFERENCES credit_events (id),
            sequence BIGINT NOT NULL,
            status TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            lease_until BIGINT,
            lease_owner TEXT,
            last_status_code BIGINT,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            completed_at BIGINT,
            CHECK ((event_id IS NOT NULL) + (payment_event_id IS NOT NULL) + (credit_event_id IS NOT NULL) = 1)
        )
        """,
        """
        CREATE TABLE webhook_attempts_v21 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries_v21 (id),
            firm_id BIGINT NOT NULL,
            attempt BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            status_code BIGINT,
            latency_ms BIGINT NOT NULL,
            error TEXT
        )
        """,
        """
        INSERT INTO webhook_deliveries_v21 (id, firm_id, event_id, message_id, payment_event_id, payment_id, credit_event_id, sequence, status,
            attempts, next_attempt_at, lease_until, lease_owner, last_status_code, last_error, created_at, completed_at)
        SELECT id, firm_id, event_id, message_id, payment_event_id, payment_id, credit_event_id, sequence, status, attempts, next_attempt_at,
            lease_until, lease_owner, last_status_code, last_error, created_at, completed_at
        FROM webhook_deliveries
        """,
        """
        INSERT INTO webhook_attempts_v21 (id, delivery_id, firm_id, attempt, started_at, status_code, latency_ms, error)
        SELECT id, delivery_id, firm_id, attempt, started_at, status_code, latency_ms, error FROM webhook_attempts
        """,
        "DELETE FROM sqlite_sequence WHERE name IN ('webhook_deliveries_v21', 'webhook_attempts_v21')",
        """
        INSERT INTO sqlite_sequence (name, seq)
        SELECT name || '_v21', seq FROM sqlite_sequence WHERE name IN ('webhook_deliveries', 'webhook_attempts')
        """,
        "DROP TABLE webhook_attempts",
        "DROP TABLE webhook_deliveries",
        "ALTER TABLE webhook_deliveries_v21 RENAME TO webhook_deliveries",
        "ALTER TABLE webhook_attempts_v21 RENAME TO webhook_attempts",
        "CREATE UNIQUE INDEX webhook_deliveries_payment_event ON webhook_deliveries (payment_event_id) WHERE payment_event_id IS NOT NULL",
        "CREATE UNIQUE INDEX webhook_deliveries_credit_event ON webhook_deliveries (credit_event_id) WHERE credit_event_id IS NOT NULL",
        "CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id, sequence)",
        "CREATE INDEX webhook_deliveries_payment ON webhook_deliveries (payment_id, sequence) WHERE payment_id IS NOT NULL",
        "CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at)",
        "CREATE INDEX webhook_deliveries_pending_firm ON webhook_deliveries (firm_id, next_attempt_at, id) WHERE status = 'pending'",
        "CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt)",
    ]
}
