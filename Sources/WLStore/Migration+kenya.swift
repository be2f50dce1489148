extension Migration {
    /// Kenyan SMS rules: each firm's sender IDs, its own promotional window and whether promotions need consent,
    /// each blast's and message's category, each firm's opt-out list, and contacts' consent.
    static let kenya = Migration(version: 11, name: "kenya", sqlite: statements, postgres: statements)

    private static let statements = [
        "ALTER TABLE firms ADD COLUMN sender_id_transactional TEXT",
        "ALTER TABLE firms ADD COLUMN sender_id_promotional TEXT",
        "ALTER TABLE firms ADD COLUMN promotional_window TEXT",
        "ALTER TABLE firms ADD COLUMN promotional_consent_required BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE contacts ADD COLUMN promotional_consent BIGINT",
        "ALTER TABLE contacts ADD COLUMN consent_source TEXT",
        "CREATE INDEX contacts_client_phone ON contacts (firm_id, kind, phone)",
        "ALTER TABLE blasts ADD COLUMN category TEXT NOT NULL DEFAULT 'transactional'",
        "ALTER TABLE messages ADD COLUMN category TEXT NOT NULL DEFAULT 'transactional'",
        """
        CREATE TABLE sms_opt_outs (
            firm_id BIGINT NOT NULL REFERENCES firms (id), phone TEXT NOT NULL, source TEXT NOT NULL, created_at BIGINT NOT NULL,
            PRIMARY KEY (firm_id, phone)
        )
        """,
    ]
}
