extension Migration {
    /// Partial indexes of the rows that still hold text: final messages with a body or subject, blasts with a template
    /// or subject. A message enters its index once, when it becomes final: on PostgreSQL an index whose predicate a
    /// message in flight met took an entry for every version of it (a claim, a charge, a provider's answer each write
    /// one), which cost dispatch what ``Migration/blockRangeRetention`` had saved. Redaction (``SQLStore/redactMessageBodies(createdBefore:limit:)``,
    /// ``SQLStore/redactBlastTexts(createdBefore:limit:)``) looks rows up through them, so a pass reads only what it
    /// has left to empty; before, every pass scanned every message older than the body retention (90 days to a year
    /// of them) again to find none, on SQLite while holding the single writer. A row leaves its index once emptied.
    /// Messages and blasts without text of their own (one text for the whole blast lives in `blasts.template`) are
    /// never in them.
    static let unredactedIndexes = Migration(
        version: 23, name: "indexes of the rows redaction has still to empty", sqlite: statements, postgres: statements)

    private static let statements = [
        "CREATE INDEX messages_unredacted ON messages (created_at) WHERE stage = 'done' AND (body <> '' OR subject IS NOT NULL)",
        "CREATE INDEX blasts_unredacted ON blasts (created_at) WHERE template <> '' OR subject IS NOT NULL",
    ]
}
