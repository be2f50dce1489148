import Foundation
public import WLDomain
public import WLPorts

/// Platform administration behind the CLI: firms, keys, webhooks, contacts.
public struct FirmAdmin: Sendable {
    let store: any Store
    let time: any TimeSource
    /// Lets webhooks point at loopback and private addresses (development and tests only).
    let allowPrivateWebhooks: Bool

    public init(store: any Store, time: any TimeSource, allowPrivateWebhooks: Bool = false) {
        self.store = store
        self.time = time
        self.allowPrivateWebhooks = allowPrivateWebhooks
    }

    /// The firm named by an id (`12`) or a slug (`sandbox`).
    /// - Throws: `.notFound`.
    public func firm(_ idOrSlug: String) async throws -> Firm {
        let found: Firm?
        if let id = Int64(idOrSlug) {
            found = try await store.firm(id: id)
        } else {
            found = try await store.firm(slug: idOrSlug)
        }
        guard let found else { throw DomainError(.notFound, "No firm \(idOrSlug).") }
        return found
    }

    /// Creates a firm.
    public func createFirm(_ new: NewFirm) async throws -> Firm {
        try await store.createFirm(new, now: time.now)
    }

    /// Every firm.
    public func firms() async throws -> [Firm] { try await store.firms() }

    /// Changes a firm, the same from the CLI and the console.
    /// - Throws: `.validation` for an SMS rate of zero or less or above ``NewFirm/maximumSMSRate`` (a purchase could
    ///   then buy nothing), or a name that is empty, over 200 characters or holds a control character.
    public func update(_ idOrSlug: String, _ update: FirmUpdate) async throws -> Firm {
        var errors: [String: [String]] = [:]
        if let rate = update.smsRate, rate.cents <= 0 || rate > NewFirm.maximumSMSRate {
            errors["sms_rate"] = ["more than 0, at most KES \(NewFirm.maximumSMSRate) per credit"]
        }
        if let name = update.name,
            name.trimmingCharacters(in: .whitespaces).isEmpty || name.unicodeScalars.count > 200 || NewFirm.hasControlCharacters(name)
        {
            errors["name"] = ["1 to 200 characters"]
        }
        guard errors.isEmpty else { throw DomainError(.validation, "The change is not valid.", fields: errors) }
        return try await store.updateFirm(id: firm(idOrSlug).id, update)
    }

    /// A new key and its record; the key's secret is shown to the caller once and never stored.
    public func createKey(firm idOrSlug: String, label: String, activeAtMost: Int? = nil) async throws -> (key: APIKey, record: APIKeyRecord) {
        let firm = try await firm(idOrSlug)
        let key = APIKey.generate(mode: firm.mode)
        let record = try await store.createAPIKey(
            firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: label, activeAtMost: activeAtMost, now: time.now)
        return (key, record)
    }

    /// The firm's keys, without secrets.
    public func keys(firm idOrSlug: String) async throws -> [APIKeyRecord] {
        try await store.apiKeys(firmID: firm(idOrSlug).id)
    }

    /// Revokes one of the firm's keys.
    public func revokeKey(firm idOrSlug: String, keyID: Int64) async throws -> APIKeyRecord {
        try await store.revokeAPIKey(firmID: firm(idOrSlug).id, keyID: keyID, now: time.now)
    }

    /// The longest webhook URL, in bytes.
    public static let maximumWebhookURLLength = 2_048

    /// Sets the firm's webhook URL (http or https) and optional secret.
    /// - Throws: `.validation` for a URL that is not absolute http(s), or longer than ``maximumWebhookURLLength``.
    public func setWebhook(firm idOrSlug: String, url: String, secret: String?) async throws {
        try await checkWebhookURL(url)
        try await store.setWebhook(firmID: firm(idOrSlug).id, WebhookSettings(url: url, secret: secret), now: time.now)
    }

    /// Sets the firm's webhook URL, keeping its secret (and a previous one's grace) as they are.
    /// - Throws: `.validation` as ``setWebhook(firm:url:secret:)`` does.
    public func setWebhookURL(firm idOrSlug: String, url: String) async throws {
        try await checkWebhookURL(url)
        try await store.setWebhookURL(firmID: firm(idOrSlug).id, url: url)
    }

    /// - Throws: `.validation` for a URL that is not absolute http(s), longer than ``maximumWebhookURLLength``,
    ///   carrying a user or password, or (with the guard on) naming a host that is not public.
    private func checkWebhookURL(_ url: String) async throws {
        guard url.utf8.count <= Self.maximumWebhookURLLength else {
            throw DomainError(
                .validation, "The webhook URL must be at most \(Self.maximumWebhookURLLength) bytes.",
                fields: ["url": ["at most \(Self.maximumWebhookURLLength) bytes"]])
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
            parsed.host?.isEmpty == false
        else { throw DomainError(.validation, "The webhook URL must be an absolute http or https URL.", fields: ["url": ["invalid"]]) }
        // It is stored and audited as written: a password in it would be readable by every platform admin.
        guard parsed.user == nil, parsed.password == nil else {
            throw DomainError(
                .validation, "The webhook URL must not carry a user name or password: deliveries are signed with the webhook secret.",
                fields: ["url": ["no user name or password"]])
        }
        do {
            if !allowPrivateWebhooks { _ = try await AddressGuard.checkedAddressesOffThread(of: parsed.host ?? "") }
        } catch let error as WebhookAddressError {
            throw DomainError(.validation, "The webhook URL is refused: \(error.reason).", fields: ["url": [error.reason]])
        }
    }

    /// Imports contacts from CSV text in batches of `batchSize` rows, one transaction each, reporting progress.
    /// - Parameter maximumContacts: The most contacts one file may hold (the HTTP routes' bound; none for the
    ///   command line, whose operator may import any file).
    /// - Returns: What was written and the rows refused, by line number.
    /// - Throws: `.validation` for a file over `maximumContacts`, before anything is written.
    public func importContacts(
        firm idOrSlug: String, csv: String, batchSize: Int = 500, maximumContacts: Int? = nil,
        progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> (summary: ContactImportSummary, errors: [ContactCSV.RowError]) {
        let firm = try await firm(idOrSlug)
        let parsed = try ContactCSV.parse(csv)
        if let maximumContacts, parsed.contacts.count > maximumContacts {
            throw DomainError(
                .validation,
                "At most \(maximumContacts) contacts per import; this file has \(parsed.contacts.count). Split it, or import it with "
                    + "`wlcomm contacts import` on the server.", fields: ["body": ["At most \(maximumContacts) contacts."]])
        }
        var summary = ContactImportSummary(inserted: 0, updated: 0)
        var done = 0
        let contacts = parsed.contacts.map(\.contact)
        while done < contacts.count {
            let batch = Array(contacts[done..<min(done + batchSize, contacts.count)])
            let result = try await store.importContacts(firmID: firm.id, batch, now: time.now)
            summary.inserted += result.inserted
            summary.updated += result.updated
            done += batch.count
            progress(done, contacts.count)
        }
        return (summary, parsed.errors)
    }

    /// The largest credit adjustment, either way: a billion credits.
    public static let maximumAdjustment = Credits(whole: 1_000_000_000)

    /// Adds (or with a negative amount, removes) credits as an admin adjustment, the same from the CLI and the console.
    /// - Parameter audit: The audit line of the adjustment, written in its transaction (`nil`: none).
    /// - Throws: `.validation` for a zero amount, one beyond a billion credits either way, or a reason (trimmed) that
    ///   is empty, over 200 characters or holds a control character.
    public func adjustCredits(
        firm idOrSlug: String, amount: Credits, reason: String, audit: (@Sendable (LedgerEntry) -> AuditEntry)? = nil
    ) async throws -> LedgerEntry {
        let reason = reason.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(reason.unicodeScalars.count), !NewFirm.hasControlCharacters(reason) else {
            throw DomainError(.validation, "Give a reason of 1 to 200 characters.", fields: ["reason": ["1 to 200 characters"]])
        }
        guard amount != .zero else { throw DomainError(.validation, "The amount must not be zero.", fields: ["amount": ["not zero"]]) }
        guard amount.units.magnitude <= Self.maximumAdjustment.units.magnitude else {
            throw DomainError(
                .validation, "An adjustment is at most \(Self.maximumAdjustment) credits either way.", fields: ["amount": ["at most 1000000000"]])
        }
        let firmID = try await firm(idOrSlug).id
        guard let audit else {
            return try await store.applyCredits(firmID: firmID, amount: amount, kind: .adjustment, reference: reason, now: time.now)
        }
        return try await store.adjustCredits(firmID: firmID, amount: amount, reason: reason, now: time.now, audit: audit)
    }
}
