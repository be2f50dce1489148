extension Migration {
    /// Webhook deliveries are claimed firm by firm: the firms with pending deliveries are found by walking this index
    /// (one probe per firm), and each firm's due deliveries are read in order from it, so a claim never scans the
    /// backlog of a firm whose lane is busy.
    static let webhookClaims = Migration(version: 15, name: "webhook claims by firm", sqlite: statements, postgres: statements)

    private static let statements = [
        "CREATE INDEX webhook_deliveries_pending_firm ON webhook_deliveries (firm_id, next_attempt_at, id) WHERE status = 'pending'"
    ]
}
