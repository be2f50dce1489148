extension Migration {
    /// Webhook secret rotation (the previous secret stays valid for a while) and the failing-since mark that
    /// disables an endpoint failing for days.
    static let webhookRotation = Migration(
        version: 4,
        name: "webhook rotation and failing endpoints",
        sqlite: statements,
        postgres: statements
    )

    private static let statements = [
        "ALTER TABLE firms ADD COLUMN webhook_previous_secret TEXT",
        "ALTER TABLE firms ADD COLUMN webhook_previous_secret_until BIGINT",
        "ALTER TABLE firms ADD COLUMN webhook_failing_since BIGINT",
    ]
}
