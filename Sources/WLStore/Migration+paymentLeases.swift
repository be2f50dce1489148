extension Migration {
    /// Payments join the leased queue: a reconciler claims due payments under a lease and an owner, renews it while
    /// it asks M-Pesa, and releases them with their next check, as the other queues do.
    static let paymentLeases = Migration(version: 14, name: "payment leases", sqlite: statements, postgres: statements)

    private static let statements = [
        "ALTER TABLE payments ADD COLUMN lease_owner TEXT",
        "ALTER TABLE payments ADD COLUMN lease_until BIGINT",
    ]
}
