extension Migration {
    /// On PostgreSQL the webhook outbox keeps index entries only for the rows that need them. Every update of a
    /// delivery (its claim, its result) writes a new row version with an entry in each index, and a message's
    /// deliveries were paying for three indexes that only payment and credit deliveries use: the unique payment and
    /// credit event ids (NULL for a message's delivery) and the payment order index. Those unique keys become partial
    /// (`WHERE … IS NOT NULL`: the same uniqueness, as NULLs never collide), and the payment order index keeps only
    /// pending deliveries, which is all the claim's "no earlier pending delivery of this payment" test reads.
    ///
    /// The claim's "no earlier pending delivery of this message" test gets its own index of pending deliveries. It
    /// used the message index (kept for housekeeping's deletions), which holds an entry for every version of every
    /// delivery, so each test visited dead and delivered rows: on `wlcomm-bench --only webhooks` the claim took
    /// 12–54 ms, against 7–9 ms with this index. SQLite keeps its indexes: its unique keys are part of the table, and
    /// it leaves no dead rows behind.
    static let outboxIndexes = Migration(
        version: 17, name: "partial outbox indexes on PostgreSQL", sqlite: [],
        postgres: [
            """
            ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_payment_event_id_key,
                DROP CONSTRAINT IF EXISTS webhook_deliveries_credit_event_id_key
            """,
            "CREATE UNIQUE INDEX webhook_deliveries_payment_event ON webhook_deliveries (payment_event_id) WHERE payment_event_id IS NOT NULL",
            "CREATE UNIQUE INDEX webhook_deliveries_credit_event ON webhook_deliveries (credit_event_id) WHERE credit_event_id IS NOT NULL",
            "DROP INDEX IF EXISTS webhook_deliveries_payment",
            "CREATE INDEX webhook_deliveries_payment_pending ON webhook_deliveries (payment_id, sequence) WHERE status = 'pending'",
            "CREATE INDEX webhook_deliveries_message_pending ON webhook_deliveries (message_id, sequence) WHERE status = 'pending'",
        ])
}
