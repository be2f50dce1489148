extension Migration {
    /// Partial indexes of the rows that still hold text: messages with a body or subject, blasts with a template or
    /// subject. Redaction (``SQLStore/redactMessageBodies(createdBefore:limit:)``,
    /// ``SQLStore/redactBlastTexts(createdBefore:limit:)``) looks rows up through them, so a pass reads only what it
    /// has left to empty; before, every pass scanned every message older than the body retention (90 days to a year
    /// of them) again to find none, on SQLite while holding the single writer. A row leaves its index once emptied.
    /// Messages and blasts without text of their own (one text for the whole blast lives in `blasts.template`) are
    /// never in them.
    static let unredactedIndexes = Migration(
        version: 23, name: "indexes of the rows redaction has still to empty", sqlite: statements, postgres: statements)

    private static let statements = [
        "CREATE INDEX messages_unredacted ON messages (created_at) WHERE body <> '' OR subject IS NOT NULL",
        "CREATE INDEX blasts_unredacted ON blasts (created_at) WHERE template <> '' OR subject IS NOT NULL",
    ]
}
