extension Migration {
    /// When an endpoint last failed, so that a failing mark left from a run of failures days ago, with no attempt
    /// since, restarts instead of disabling the endpoint at its next failure (``WebhookRules/failingGap``).
    static let webhookLastFailure = Migration(
        version: 24, name: "the time of an endpoint's last failure", sqlite: statements, postgres: statements)

    private static let statements = ["ALTER TABLE firms ADD COLUMN webhook_last_failure_at BIGINT"]
}
