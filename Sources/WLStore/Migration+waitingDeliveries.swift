extension Migration {
    /// On PostgreSQL the webhook claim's "no earlier pending delivery of this message or payment" test reads an
    /// index on an expression that only it uses, `CASE WHEN status = 'pending' THEN message_id END` (the same for
    /// `payment_id`), in place of migration 17's partial indexes of pending deliveries.
    ///
    /// With the partial indexes the test said `e.status = 'pending'`, so every index of pending deliveries could
    /// serve it. Between a burst of new deliveries and the next automatic `ANALYZE` (up to a minute), the statistics
    /// say nothing is pending, every such index looks as cheap as any other, and PostgreSQL chose the due-time index
    /// and filtered it by message: the whole backlog read once for every delivery it looked at. One
    /// `wlcomm-bench` run stalled so, with 19,400 deliveries pending and each claim taking up to 12 s. No other
    /// index holds this expression, so the test can only look its message or payment up. SQLite keeps the partial
    /// indexes it never had trouble with (it has none of migration 17's).
    static let waitingDeliveries = Migration(
        version: 18, name: "webhook claim tests on their own expression indexes on PostgreSQL", sqlite: [],
        postgres: [
            """
            CREATE INDEX webhook_deliveries_message_waiting
            ON webhook_deliveries ((CASE WHEN status = 'pending' THEN message_id END), sequence)
            """,
            """
            CREATE INDEX webhook_deliveries_payment_waiting
            ON webhook_deliveries ((CASE WHEN status = 'pending' THEN payment_id END), sequence)
            """,
            "DROP INDEX webhook_deliveries_message_pending",
            "DROP INDEX webhook_deliveries_payment_pending",
        ])
}
