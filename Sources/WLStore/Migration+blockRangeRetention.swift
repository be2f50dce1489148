extension Migration {
    /// On PostgreSQL the three instants retention looks rows up by (`messages.created_at`,
    /// `message_events.occurred_at`, `webhook_deliveries.created_at`) get BRIN indexes instead of B-trees. Each is
    /// written once, when its row is inserted, and rows are inserted in about that order, so a summary of each range
    /// of 128 pages (its smallest and largest instant) rules whole ranges in or out; only ranges not yet summarized
    /// (the newest pages) are always read. A B-tree took an
    /// entry for every row version: every insert, and, as a message's updates change indexed columns, every update of
    /// a message too (a claim, a charge, a provider's answer), which a BRIN range summary does not need.
    /// `autosummarize` has autovacuum summarize each range as it fills.
    ///
    /// Retention takes any eligible rows, not the oldest first (a BRIN index yields no order): every pass deletes
    /// until none is left, so the order never mattered.
    ///
    /// Measured with `wlcomm-bench --only blasts --blasts 5` on databases migrated beforehand, four alternating
    /// pairs: dispatch 10,270 msg/s on average with the B-trees, 10,933 with BRIN, faster in all four; a blast's
    /// 10,000-message insert 135 → 125 ms (docs/benchmarks-history.md, tenth session). SQLite keeps its B-trees: it has no
    /// such index, and it touches an index on an update only when the update sets one of the index's columns, which
    /// no update of these rows does.
    static let blockRangeRetention = Migration(
        version: 22, name: "BRIN indexes for retention on PostgreSQL", sqlite: [],
        postgres: [
            "DROP INDEX messages_created",
            "CREATE INDEX messages_created ON messages USING brin (created_at) WITH (autosummarize = on)",
            "DROP INDEX message_events_occurred",
            "CREATE INDEX message_events_occurred ON message_events USING brin (occurred_at) WITH (autosummarize = on)",
            "DROP INDEX webhook_deliveries_created",
            "CREATE INDEX webhook_deliveries_created ON webhook_deliveries USING brin (created_at) WITH (autosummarize = on)",
        ])
}
