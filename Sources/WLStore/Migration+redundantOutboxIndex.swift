extension Migration {
    /// Drops `webhook_deliveries_due` (pending deliveries by `next_attempt_at`). Every query that reads pending
    /// deliveries is answered by `webhook_deliveries_pending_firm` (`firm_id, next_attempt_at, id`, pending only): the
    /// claim walks it firm by firm, and the queue-level gauge counts and takes the oldest due time over it. The
    /// dropped index only cost every outbox insert and every lease update of a pending delivery one more entry.
    static let redundantOutboxIndex = Migration(
        version: 20, name: "no separate index of pending deliveries by due time",
        sqlite: ["DROP INDEX webhook_deliveries_due"], postgres: ["DROP INDEX webhook_deliveries_due"])
}
