extension Migration {
    /// On PostgreSQL the tables every message writes to no longer check their foreign keys row by row: a
    /// 10,000-recipient blast spent 102 of its INSERT's 201 ms in the two checks of `messages` (one trigger call per
    /// row per key), and each dispatched message fires about ten more (its events, outbox rows and attempts). Every row
    /// of these tables is written by one store statement that reads its parents in the same transaction (messages
    /// join their blast, events and outbox rows come from locked messages, attempts from leased deliveries), and
    /// SQLite keeps the same keys enforced (`PRAGMA foreign_keys=ON`), so the conformance suite, which runs every
    /// write and deletion on both engines, still fails on any write that would leave an orphan. See
    /// docs/decisions.md.
    static let appendOnlyKeys = Migration(
        version: 16, name: "append-only tables without per-row key checks on PostgreSQL", sqlite: [],
        postgres: [
            "ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_firm_id_fkey, DROP CONSTRAINT IF EXISTS messages_blast_id_fkey",
            """
            ALTER TABLE message_events DROP CONSTRAINT IF EXISTS message_events_firm_id_fkey,
                DROP CONSTRAINT IF EXISTS message_events_message_id_fkey
            """,
            """
            ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_firm_id_fkey,
                DROP CONSTRAINT IF EXISTS webhook_deliveries_event_id_fkey
            """,
            "ALTER TABLE webhook_attempts DROP CONSTRAINT IF EXISTS webhook_attempts_delivery_id_fkey",
        ])
}
