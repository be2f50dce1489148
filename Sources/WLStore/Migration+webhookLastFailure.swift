extension Migration {
    /// When an endpoint last failed, so that a failing mark left from a run of failures days ago, with no attempt
    /// since, restarts instead of disabling the endpoint at its next failure (``WebhookRules/failingGap``). An endpoint
    /// failing when this runs takes its last failed attempt's time, so its run goes on rather than starting again.
    static let webhookLastFailure = Migration(
        version: 24, name: "the time of an endpoint's last failure", sqlite: statements, postgres: statements)

    private static let statements = [
        "ALTER TABLE firms ADD COLUMN webhook_last_failure_at BIGINT",
        """
        UPDATE firms SET webhook_last_failure_at = (
            SELECT MAX(a.started_at) FROM webhook_attempts a
            WHERE a.firm_id = firms.id AND (a.status_code IS NULL OR a.status_code < 200 OR a.status_code > 299))
        WHERE webhook_failing_since IS NOT NULL
        """,
    ]
}
