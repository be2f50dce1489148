extension Migration {
    /// On PostgreSQL the webhook claim's "no earlier pending delivery of this message or payment" test reads an
    /// index on an expression that only it uses, `CASE WHEN status = 'pending' THEN message_id END` (the same for
    /// `payment_id`), in place of migration 17's partial indexes of pending deliveries. Like those, each holds only
    /// the pending deliveries: its condition, the expression `IS NOT NULL`, follows from the test's `=`.
    ///
    /// With the partial indexes the test said `e.status = 'pending'`, so every index of pending deliveries could
    /// serve it. Between a burst of new deliveries and the next automatic `ANALYZE` (up to a minute), the statistics
    /// say nothing is pending and every such index looks as cheap as any other; a prepared statement may keep the
    /// plan made then. PostgreSQL chose the due-time index and filtered it by message: the whole backlog read once
    /// for every delivery looked at. In two of eight `wlcomm-bench` runs, claims then took up to 113 s each and
    /// the webhook phase stalled with 19,400 deliveries pending. No other index holds this expression, so the test
    /// can only look its message or payment up. SQLite is unchanged: it never had migration 17's indexes, and its
    /// planner looks each test up in the message index.
    static let waitingDeliveries = Migration(
        version: 18, name: "webhook claim tests on their own expression indexes on PostgreSQL", sqlite: [],
        postgres: [
            """
            CREATE INDEX webhook_deliveries_message_waiting
            ON webhook_deliveries ((CASE WHEN status = 'pending' THEN message_id END), sequence)
            WHERE (CASE WHEN status = 'pending' THEN message_id END) IS NOT NULL
            """,
            """
            CREATE INDEX webhook_deliveries_payment_waiting
            ON webhook_deliveries ((CASE WHEN status = 'pending' THEN payment_id END), sequence)
            WHERE (CASE WHEN status = 'pending' THEN payment_id END) IS NOT NULL
            """,
            "DROP INDEX webhook_deliveries_message_pending",
            "DROP INDEX webhook_deliveries_payment_pending",
        ])
}
