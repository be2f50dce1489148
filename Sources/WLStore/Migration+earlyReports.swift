extension Migration {
    /// Delivery reports that arrived before the send they report on was recorded (a provider can answer the callback
    /// faster than the dispatcher commits its answer): kept until the send is recorded, then applied.
    static let earlyReports = Migration(version: 10, name: "early reports", sqlite: statements, postgres: statements)

    private static let statements = [
        """
        CREATE TABLE early_reports (
            provider_message_id TEXT NOT NULL, status TEXT NOT NULL, response TEXT NOT NULL, network TEXT,
            received_at BIGINT NOT NULL, PRIMARY KEY (provider_message_id, status)
        )
        """,
        "CREATE INDEX early_reports_received ON early_reports (received_at)",
    ]
}
