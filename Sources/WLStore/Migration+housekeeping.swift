extension Migration {
    /// Housekeeping: the leader lease (one instance at a time runs retention and expiry), and indexes on the instants
    /// retention and expiry look rows up by. Each indexed column is written once and never changed, so updates of
    /// the rows stay as cheap as before.
    static let housekeeping = Migration(version: 9, name: "housekeeping", sqlite: statements, postgres: statements)

    private static let statements = [
        "CREATE TABLE leader_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, lease_until BIGINT NOT NULL)",
        "CREATE INDEX messages_created ON messages (created_at)",
        // Only messages the provider accepted and whose report is awaited; `sent_at` is set once, on acceptance.
        "CREATE INDEX messages_awaiting_report ON messages (sent_at) WHERE stage = 'submitted'",
        "CREATE INDEX message_events_occurred ON message_events (occurred_at)",
        "CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at)",
        "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)",
    ]
}
