import Foundation
public import WLDomain
public import WLPorts

/// The changes the console and the management API make, each written to the audit log after it succeeds (a credit
/// adjustment with it, in its transaction): a firm's keys and webhook, and the platform admin's firms and credit
/// adjustments.
public struct ConsoleActions: Sendable {
    let store: any Store
    let admin: FirmAdmin
    let accounts: ConsoleAccounts
    /// The API keys' authentications kept by this process, forgotten when a key is revoked or its firm changed here.
    let authentications: AuthenticationCache

    public init(store: any Store, admin: FirmAdmin, accounts: ConsoleAccounts, authentications: AuthenticationCache) {
        self.store = store
        self.admin = admin
        self.accounts = accounts
        self.authentications = authentications
    }

    /// The most active keys a firm may have: rate limits count per key, so keys without a bound would multiply them.
    public static let maximumActiveKeys = 20

    /// A new key for the firm; its secret is returned once and never stored.
    /// - Throws: `.validation` for a label that is empty or over 64 characters (Unicode code points, as JSON Schema
    ///   counts them); `.conflict` when the firm has ``maximumActiveKeys`` active keys.
    public func createKey(firm: Firm, label: String, origin: AuditOrigin) async throws -> (key: APIKey, record: APIKeyRecord) {
        let label = label.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(label.unicodeScalars.count), !NewFirm.hasControlCharacters(label) else {
            throw DomainError(
                .validation, "The label must be 1 to 64 characters, no control characters.", fields: ["label": ["1 to 64 characters"]])
        }
        let created = try await admin.createKey(firm: String(firm.id), label: label, activeAtMost: Self.maximumActiveKeys)
        await accounts.audit(origin, firmID: firm.id, action: "api_key.create", detail: "\(created.record.displayPrefix) \(label)")
        return created
    }

    /// Revokes one of the firm's keys; requests with it to this process get 401 from then on.
    public func revokeKey(firm: Firm, keyID: Int64, origin: AuditOrigin) async throws -> APIKeyRecord {
        let record = try await admin.revokeKey(firm: String(firm.id), keyID: keyID)
        authentications.forget(firmID: firm.id)
        await accounts.audit(origin, firmID: firm.id, action: "api_key.revoke", detail: record.displayPrefix)
        return record
    }

    /// Sets the webhook URL, keeping the current secret.
    public func setWebhookURL(firm: Firm, url: String, origin: AuditOrigin) async throws -> WebhookSettings {
        try await admin.setWebhookURL(firm: String(firm.id), url: url)
        await accounts.audit(origin, firmID: firm.id, action: "webhook.set", detail: Self.audited(url))
        return try await store.webhook(firmID: firm.id) ?? WebhookSettings(url: url, secret: nil)
    }

    /// The audit actions whose detail is a webhook URL as ``audited(_:)`` keeps it.
    public static let webhookAuditActions = ["webhook.set", "webhook.secret_rotate"]

    /// A webhook audit line's detail as ``audited(_:)`` keeps it: lines written before the log kept only a URL's
    /// origin hold the whole URL, with any token in its path or query. One already reduced is kept as it is.
    public static func reaudited(_ detail: String) -> String {
        detail == "(a URL)" || detail.hasSuffix("/…") ? detail : audited(detail)
    }

    /// A webhook URL as the audit log keeps it: scheme, host and port only. Receivers often carry a token in the path
    /// or query, and the audit log is read by every platform admin.
    static func audited(_ url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else { return "(a URL)" }
        let rest = parts.percentEncodedPath.count > 1 || parts.percentEncodedQuery != nil ? "/…" : ""
        return "\(scheme)://\(host)\(parts.port.map { ":\($0)" } ?? "")\(rest)"
    }

    /// Removes the webhook; no more deliveries are attempted.
    public func deleteWebhook(firm: Firm, origin: AuditOrigin) async throws {
        try await store.setWebhook(firmID: firm.id, nil, now: accounts.time.now)
        await accounts.audit(origin, firmID: firm.id, action: "webhook.delete", detail: "")
    }

    /// A new random signing secret for the webhook, returned once; `X-WL-Signature` uses it at once, and for 24 hours
    /// `webhook-signature` also carries the old one's signature.
    /// - Throws: `.conflict` when the firm has no webhook URL yet.
    public func rotateWebhookSecret(firm: Firm, origin: AuditOrigin) async throws -> String {
        let secret = "wlsec_" + String(APIKey.generate(mode: .live).secret.dropFirst(APIKey.livePrefix.count))
        guard let url = try await store.rotateWebhookSecret(firmID: firm.id, to: secret, now: accounts.time.now) else {
            throw DomainError(.conflict, "Set a webhook URL before its secret.")
        }
        await accounts.audit(origin, firmID: firm.id, action: "webhook.secret_rotate", detail: Self.audited(url))
        return secret
    }

    /// Creates a firm (admin).
    public func createFirm(_ firm: NewFirm, origin: AuditOrigin) async throws -> Firm {
        let created = try await admin.createFirm(firm)
        await accounts.audit(
            origin, firmID: created.id, action: "firm.create", detail: "\(created.slug) rate \(created.smsRate) \(created.mode.rawValue)")
        return created
    }

    /// Changes a firm (admin); `detail` says what, for the log. Its API requests to this process see the change at
    /// once (a suspension answers 403 from then on).
    public func updateFirm(id: Int64, _ update: FirmUpdate, detail: String, origin: AuditOrigin) async throws -> Firm {
        let firm = try await admin.update(String(id), update)
        authentications.forget(firmID: id)
        await accounts.audit(origin, firmID: id, action: "firm.update", detail: detail)
        return firm
    }

    /// Adds or removes credits with a reason (admin), the ledger row and its audit line in one transaction: an
    /// adjustment is never made without its line, so an error answer means nothing was added and a retry is safe.
    /// - Throws: `.validation` as ``FirmAdmin/adjustCredits(firm:amount:reason:audit:)`` does.
    public func adjustCredits(firmID: Int64, amount: Credits, reason: String, origin: AuditOrigin) async throws -> LedgerEntry {
        let accounts = accounts
        return try await admin.adjustCredits(firm: String(firmID), amount: amount, reason: reason) { entry in
            accounts.auditEntry(origin, firmID: firmID, action: "credits.adjust", detail: "\(amount) \(entry.reference)")
        }
    }
}
