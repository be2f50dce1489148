extension Migration {
    /// Audit lines by action, so that the start-up step reducing old webhook lines to their URL's origin
    /// (``SQLStore/rewriteAuditDetails(actions:_:)``) reads those lines only, not the whole log: every sign-in and every
    /// wrong password is a line, kept `retention.auditDays` (730).
    static let auditActionIndex = Migration(
        version: 28, name: "audit lines by action",
        sqlite: ["CREATE INDEX audit_log_action ON audit_log (action, id)"],
        postgres: ["CREATE INDEX audit_log_action ON audit_log (action, id)"])
}
