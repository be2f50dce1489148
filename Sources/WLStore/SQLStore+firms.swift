public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore {
    static let firmColumns =
        "id, slug, name, status, subscription_expires_at, sms_credits, sms_rate_cents, timezone, mode, created_at, send_rate_quota, send_rate_window, read_rate_quota, read_rate_window, sender_id_transactional, sender_id_promotional, promotional_window, promotional_consent_required, low_balance_threshold"

    public func createFirm(_ firm: NewFirm, now: Date) async throws -> Firm {
        try await write(duplicate: "A firm with the slug \(firm.slug) already exists.") { connection in
            let rows = try await connection.query(
                """
                INSERT INTO firms (slug, name, status, subscription_expires_at, sms_credits, sms_rate_cents, timezone, mode, created_at)
                VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8) RETURNING \(Self.firmColumns)
                """,
                [
                    .text(firm.slug), .text(firm.name), .text(FirmStatus.active.rawValue), .time(firm.subscriptionExpiresAt),
                    .int(firm.smsRate.cents), .text(firm.timezone), .text(firm.mode.rawValue), .time(now),
                ])
            return try Self.firm(from: rows[0])
        }
    }

    public func firm(id: Int64) async throws -> Firm? {
        try await database.read { connection in
            try await connection.query("SELECT \(Self.firmColumns) FROM firms WHERE id = $1", [.int(id)]).first.map(Self.firm)
        }
    }

    public func firm(slug: String) async throws -> Firm? {
        try await database.read { connection in
            try await connection.query("SELECT \(Self.firmColumns) FROM firms WHERE slug = $1", [.text(slug)]).first
                .map(Self.firm)
        }
    }

    public func firms() async throws -> [Firm] {
        try await database.read { connection in
            try await connection.query("SELECT \(Self.firmColumns) FROM firms ORDER BY id").map(Self.firm)
        }
    }

    public func updateFirm(id: Int64, _ update: FirmUpdate) async throws -> Firm {
        try await write { connection in
            var assignments: [String] = []
            var binds: [SQLValue] = [.int(id)]
            func set(_ column: String, _ value: SQLValue) {
                binds.append(value)
                assignments.append("\(column) = $\(binds.count)")
            }
            if let status = update.status { set("status", .text(status.rawValue)) }
            if let rate = update.smsRate { set("sms_rate_cents", .int(rate.cents)) }
            if let expiry = update.subscriptionExpiresAt { set("subscription_expires_at", .time(expiry)) }
            if let name = update.name { set("name", .text(name)) }
            if let limit = update.sendLimit {
                set("send_rate_quota", .int(limit.map { Int64($0.quota) }))
                set("send_rate_window", .int(limit.map { Int64($0.window) }))
            }
            if let senderIDs = update.senderIDs {
                set("sender_id_transactional", .text(senderIDs.transactional?.value))
                set("sender_id_promotional", .text(senderIDs.promotional?.value))
            }
            if let window = update.promotionalWindow { set("promotional_window", .text(window?.description)) }
            if let required = update.promotionalConsentRequired { set("promotional_consent_required", .int(required ? 1 : 0)) }
            if let limit = update.readLimit {
                set("read_rate_quota", .int(limit.map { Int64($0.quota) }))
                set("read_rate_window", .int(limit.map { Int64($0.window) }))
            }
            let sql =
                assignments.isEmpty
                ? "SELECT \(Self.firmColumns) FROM firms WHERE id = $1"
                : "UPDATE firms SET \(assignments.joined(separator: ", ")) WHERE id = $1 RETURNING \(Self.firmColumns)"
            guard let row = try await connection.query(sql, binds).first else {
                throw DomainError(.notFound, "No firm with id \(id).")
            }
            return try Self.firm(from: row)
        }
    }

    public func setWebhook(firmID: Int64, _ settings: WebhookSettings?, now: Date) async throws {
        try await write { connection in
            guard
                let current = try await connection.query(
                    "SELECT webhook_secret, webhook_previous_secret, webhook_previous_secret_until FROM firms WHERE id = $1\(self.lockClause)",
                    [.int(firmID)]
                ).first
            else { throw DomainError(.notFound, "No firm with id \(firmID).") }
            var previous = try current.optionalText("webhook_previous_secret")
            var until = try current.optionalTime("webhook_previous_secret_until")
            if let old = try openSecret(current.optionalText("webhook_secret"), at: "firms.webhook_secret of firm \(firmID)"),
                let new = settings?.secret, old != new
            {
                previous = sealSecret(old)
                until = now.addingTimeInterval(webhookSecretGrace)
            }
            try await connection.query(
                """
                UPDATE firms SET webhook_url = $2, webhook_secret = $3, webhook_disabled_at = NULL, webhook_disabled_reason = NULL,
                    webhook_previous_secret = $4, webhook_previous_secret_until = $5, webhook_failing_since = NULL,
                    webhook_last_failure_at = NULL
                WHERE id = $1
                """,
                [
                    .int(firmID), .text(settings?.url), .text(sealSecret(settings?.secret)), .text(settings == nil ? nil : previous),
                    .time(settings == nil ? nil : until),
                ])
        }
    }

    public func setWebhookURL(firmID: Int64, url: String) async throws {
        try await write { connection in
            let updated = try await connection.query(
                """
                UPDATE firms SET webhook_url = $2, webhook_disabled_at = NULL, webhook_disabled_reason = NULL, webhook_failing_since = NULL,
                    webhook_last_failure_at = NULL
                WHERE id = $1 RETURNING id
                """, [.int(firmID), .text(url)])
            if updated.isEmpty { throw DomainError(.notFound, "No firm with id \(firmID).") }
        }
    }

    public func rotateWebhookSecret(firmID: Int64, to secret: String, now: Date) async throws -> String? {
        try await write { connection in
            guard
                let current = try await connection.query(
                    "SELECT webhook_url, webhook_secret FROM firms WHERE id = $1\(self.lockClause)", [.int(firmID)]
                ).first
            else { throw DomainError(.notFound, "No firm with id \(firmID).") }
            guard let url = try current.optionalText("webhook_url") else { return nil }
            // The old secret signs beside the new one for the grace period; with none before, the grace of an
            // earlier rotation runs on.
            let old = try openSecret(current.optionalText("webhook_secret"), at: "firms.webhook_secret of firm \(firmID)")
            try await connection.query(
                """
                UPDATE firms SET webhook_secret = $2, webhook_previous_secret = COALESCE($3, webhook_previous_secret),
                    webhook_previous_secret_until = CASE WHEN $3 IS NULL THEN webhook_previous_secret_until ELSE $4 END,
                    webhook_disabled_at = NULL, webhook_disabled_reason = NULL, webhook_failing_since = NULL, webhook_last_failure_at = NULL
                WHERE id = $1
                """, [.int(firmID), .text(sealSecret(secret)), .text(sealSecret(old)), .time(now.addingTimeInterval(webhookSecretGrace))])
            return url
        }
    }

    public func webhook(firmID: Int64) async throws -> WebhookSettings? {
        try await database.read { connection in
            guard
                let row = try await connection.query(
                    "SELECT webhook_url, webhook_secret, webhook_disabled_at, webhook_disabled_reason FROM firms WHERE id = $1", [.int(firmID)]
                ).first,
                let url = try row.optionalText("webhook_url")
            else { return nil }
            return WebhookSettings(
                url: url, secret: try openSecret(row.optionalText("webhook_secret"), at: "firms.webhook_secret of firm \(firmID)"),
                disabledAt: try row.optionalTime("webhook_disabled_at"), disabledReason: try row.optionalText("webhook_disabled_reason"))
        }
    }

    /// Reads a firm from a row with ``firmColumns``.
    static func firm(from row: SQLRow) throws -> Firm {
        var firm = Firm(
            id: try row.int("id"), slug: try row.text("slug"), name: try row.text("name"),
            status: try row.value("status", as: FirmStatus.self),
            subscriptionExpiresAt: try row.optionalTime("subscription_expires_at"),
            smsCredits: Credits(units: try row.int("sms_credits")), smsRate: KES(cents: try row.int("sms_rate_cents")),
            timezone: try row.text("timezone"), mode: try row.value("mode", as: FirmMode.self),
            createdAt: try row.time("created_at"),
            sendLimit: try policy("sends", row.optionalInt("send_rate_quota"), row.optionalInt("send_rate_window")),
            readLimit: try policy("reads", row.optionalInt("read_rate_quota"), row.optionalInt("read_rate_window")))
        // Values were checked when set; one that no longer reads (a rule tightened since) counts as unset.
        firm.senderIDs = SenderIDs(
            transactional: try row.optionalText("sender_id_transactional").flatMap { try? SenderID($0) },
            promotional: try row.optionalText("sender_id_promotional").flatMap { try? SenderID($0) })
        firm.promotionalWindow = try row.optionalText("promotional_window").flatMap { try? SendingWindow(parsing: $0) }
        firm.promotionalConsentRequired = try row.int("promotional_consent_required") != 0
        firm.lowBalanceThreshold = try row.optionalInt("low_balance_threshold").map(Credits.init(units:))
        return firm
    }

    /// A firm's own limit, when both columns are set.
    private static func policy(_ name: String, _ quota: Int64?, _ window: Int64?) -> RateLimitPolicy? {
        guard let quota, let window, quota > 0, window > 0 else { return nil }
        return RateLimitPolicy(name: name, quota: Int(quota), window: Int(window))
    }
}
