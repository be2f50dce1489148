extension Migration {
    /// A firm's messages by recipient, newest first (`GET /sms?recipient=…` and `/email`, a person's data export and
    /// erasure), and a firm's blasts by reference (`?reference=…`, whose messages carry their blast's reference).
    /// Without them each such read walked every message of the firm, millions for a busy one, to find a few. `LOWER`
    /// because an address matches whatever its case; a number's digits are their own lower case. The recipient index
    /// costs every message's writes (an entry per version on PostgreSQL, where dispatch's updates are never HOT); the
    /// reference is looked up through `blasts`, which dispatch never writes (`docs/benchmarks.md`). Building them on
    /// PostgreSQL holds writes to both tables for as long as it takes (`docs/operate.md`).
    static let lookupIndexes = Migration(
        version: 26, name: "messages by recipient, blasts by reference", sqlite: statements, postgres: statements)

    private static let statements = [
        "CREATE INDEX messages_recipient ON messages (firm_id, LOWER(recipient), id)",
        "CREATE INDEX blasts_reference ON blasts (firm_id, reference)",
    ]
}
