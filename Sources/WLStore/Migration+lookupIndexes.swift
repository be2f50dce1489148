extension Migration {
    /// A firm's messages by recipient, newest first (`GET /sms?recipient=…` and `/email`, a person's data export and
    /// erasure), and by reference (`?reference=…`). Without them each such read walked every message of the firm,
    /// millions for a busy one, to find a few. The recipient's key is `LOWER(recipient)`: an address matches whatever
    /// its case; a number's digits are their own lower case.
    ///
    /// SQLite indexes the messages table itself: it updates a row in place, and an index whose columns an update
    /// leaves alone is not touched, so dispatch pays nothing for them. PostgreSQL writes a new version of a message at
    /// each step of dispatch, with an entry in every index of the table (its updates change indexed columns, so they
    /// are never HOT): an index there cost dispatch about a tenth. It gets `message_recipients` instead, written once
    /// with each message and never updated (``SQLStore/recipientMatch(_:firm:key:)``), and finds a reference through
    /// `blasts` (a message carries its blast's reference), which dispatch never writes. Messages already erased are
    /// not copied: erasure takes a person's rows out. Building these holds writes for as long as it takes
    /// (`docs/operate.md`).
    static let lookupIndexes = Migration(
        version: 26, name: "messages by recipient and by reference",
        sqlite: [
            "CREATE INDEX messages_recipient ON messages (firm_id, LOWER(recipient), id)",
            "CREATE INDEX messages_reference ON messages (firm_id, reference, id)",
        ],
        postgres: [
            """
            CREATE TABLE message_recipients (
                firm_id BIGINT NOT NULL,
                recipient TEXT NOT NULL,
                message_id BIGINT NOT NULL,
                PRIMARY KEY (firm_id, recipient, message_id)
            )
            """,
            """
            INSERT INTO message_recipients (firm_id, recipient, message_id)
            SELECT firm_id, LOWER(recipient), id FROM messages WHERE recipient <> '[erased]'
            """,
            "CREATE INDEX blasts_reference ON blasts (firm_id, reference)",
        ])
}
