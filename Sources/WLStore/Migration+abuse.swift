extension Migration {
    /// Abuse limits: when each email's open and click were last counted (a tracking hit counts at most once a minute
    /// per message and kind), and an index for counting a firm's recent payments to one phone (the purchase limits).
    static let abuse = Migration(version: 8, name: "abuse limits", sqlite: statements, postgres: statements)

    private static let statements = [
        "ALTER TABLE messages ADD COLUMN open_counted_at BIGINT",
        "ALTER TABLE messages ADD COLUMN click_counted_at BIGINT",
        "CREATE INDEX payments_firm_phone ON payments (firm_id, phone, created_at)",
    ]
}
