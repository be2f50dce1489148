extension Migration {
    /// The due-message index split in two by lease: `messages_claimable` holds the queued messages no batch holds,
    /// in `due_at, id` order; `messages_leased` the ones a batch holds, by when their lease ends.
    ///
    /// With one index of every queued message, each claim and each idle poll walked, in due order, past every message
    /// that running batches held leased (thousands while a blast is sent, plus, on PostgreSQL, the dead versions
    /// each update leaves) to reach the first free one: a poll took 1.9 ms on PostgreSQL during a 10,000-recipient
    /// blast (`pg_stat_statements`), now 0.3 ms. A claim reads the free messages from the front of their own index,
    /// and the leases that ended (a worker that stopped) from the front of the other; its time is now almost all in
    /// updating the rows it takes.
    static let claimableMessages = Migration(
        version: 19, name: "claimable and leased messages in indexes of their own",
        sqlite: claimableMessageIndexes, postgres: claimableMessageIndexes)

    private static let claimableMessageIndexes = [
        "CREATE INDEX messages_claimable ON messages (due_at, id) WHERE stage IN ('queued', 'charged') AND lease_owner IS NULL",
        "CREATE INDEX messages_leased ON messages (lease_until) WHERE stage IN ('queued', 'charged') AND lease_owner IS NOT NULL",
        "DROP INDEX messages_due",
    ]
}
