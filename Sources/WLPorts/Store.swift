public import Foundation
public import WLDomain

/// Changes to a firm; `nil` fields stay as they are.
public struct FirmUpdate: Sendable {
    public var status: FirmStatus?
    public var smsRate: KES?
    /// `.some(nil)` clears the expiry.
    public var subscriptionExpiresAt: Date??
    public var name: String?
    /// `.some(nil)` goes back to the service's default.
    public var sendLimit: RateLimitPolicy??
    public var readLimit: RateLimitPolicy??
    /// Both sender IDs at once (a `nil` one: the platform's default).
    public var senderIDs: SenderIDs?
    /// `.some(nil)` goes back to the platform's window.
    public var promotionalWindow: SendingWindow??
    public var promotionalConsentRequired: Bool?

    public init(
        status: FirmStatus? = nil, smsRate: KES? = nil, subscriptionExpiresAt: Date?? = nil, name: String? = nil,
        sendLimit: RateLimitPolicy?? = nil, readLimit: RateLimitPolicy?? = nil, senderIDs: SenderIDs? = nil,
        promotionalWindow: SendingWindow?? = nil, promotionalConsentRequired: Bool? = nil
    ) {
        self.promotionalConsentRequired = promotionalConsentRequired
        self.status = status
        self.smsRate = smsRate
        self.subscriptionExpiresAt = subscriptionExpiresAt
        self.name = name
        self.sendLimit = sendLimit
        self.readLimit = readLimit
        self.senderIDs = senderIDs
        self.promotionalWindow = promotionalWindow
    }
}

/// How long a replaced webhook secret stays valid: 24 hours.
public let webhookSecretGrace: TimeInterval = 86_400

/// Where and how a firm's delivery webhooks are sent.
public struct WebhookSettings: Hashable, Sendable {
    public var url: String
    /// The HMAC secret; never logged.
    public var secret: String?
    /// When deliveries stopped because the endpoint answered 410 Gone (or kept failing); setting the webhook again
    /// clears it.
    public var disabledAt: Date?
    public var disabledReason: String?

    public init(url: String, secret: String?, disabledAt: Date? = nil, disabledReason: String? = nil) {
        self.url = url
        self.secret = secret
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
    }
}

/// A key that matched, with its firm as it is now.
public struct Authentication: Sendable {
    public var key: APIKeyRecord
    public var firm: Firm

    public init(key: APIKeyRecord, firm: Firm) {
        self.key = key
        self.firm = firm
    }
}

/// What a contacts import did.
public struct ContactImportSummary: Hashable, Sendable {
    public var inserted: Int
    public var updated: Int

    public init(inserted: Int, updated: Int) {
        self.inserted = inserted
        self.updated = updated
    }
}

/// The persistence port. ``SQLStore`` implements it over SQLite and PostgreSQL; one conformance suite tests both.
///
/// Every method that takes a `firmID` reads or writes only that firm's rows: tenancy is enforced here, not
/// left to callers. Errors the caller can act on are ``DomainError``s (`.notFound`, `.duplicate`,
/// `.insufficientCredits`).
public protocol Store: MessageStore, WebhookStore, WebhookLogStore, PaymentStore, EmailStore, IdempotencyStore, HousekeepingStore, OptOutStore,
    ConsoleStore,
    PrivacyStore
{
    /// Succeeds when the database answers.
    func ping() async throws

    /// Creates a firm with no credits.
    /// - Throws: `.duplicate` when the slug is taken.
    func createFirm(_ firm: NewFirm, now: Date) async throws -> Firm
    /// The firm with this id, or `nil`.
    func firm(id: Int64) async throws -> Firm?
    /// The firm with this slug, or `nil`.
    func firm(slug: String) async throws -> Firm?
    /// Every firm, by id.
    func firms() async throws -> [Firm]
    /// Applies `update` and returns the firm after it.
    /// - Throws: `.notFound` for an unknown firm.
    func updateFirm(id: Int64, _ update: FirmUpdate) async throws -> Firm
    /// Sets (or with `nil`, clears) the firm's low-balance threshold; a changed threshold starts un-fired (the same one
    /// again keeps its state) and, if the balance is already at or below it, fires at once.
    func setLowBalanceThreshold(firmID: Int64, _ threshold: Credits?, now: Date) async throws -> Firm

    /// Sets (or with `nil`, clears) the firm's webhook; setting it re-enables an endpoint that was disabled. A new
    /// secret replacing another keeps the old one valid for ``webhookSecretGrace`` (signatures carry both).
    func setWebhook(firmID: Int64, _ settings: WebhookSettings?, now: Date) async throws
    /// Sets the firm's webhook URL and re-enables an endpoint that was disabled, leaving its secrets as they are in
    /// the same statement (a secret rotated at that moment is kept, not written back over).
    /// - Throws: `.notFound` for an unknown firm.
    func setWebhookURL(firmID: Int64, url: String) async throws
    /// Replaces the webhook's secret (the old one stays valid for ``webhookSecretGrace``) and re-enables an endpoint
    /// that was disabled, leaving its URL as it is in the same transaction (a URL set at that moment is kept).
    /// - Returns: The webhook's URL, or `nil` (nothing changed) when the firm has none.
    /// - Throws: `.notFound` for an unknown firm.
    func rotateWebhookSecret(firmID: Int64, to secret: String, now: Date) async throws -> String?
    /// The firm's webhook, if one is set.
    func webhook(firmID: Int64) async throws -> WebhookSettings?

    /// Records a new key by its hash, unless the firm already has `activeAtMost` keys not revoked (counted in the
    /// same transaction, so requests at once cannot pass the bound together).
    /// - Throws: `.duplicate` when the hash is already known; `.conflict` at the bound.
    func createAPIKey(
        firmID: Int64, hash: String, displayPrefix: String, label: String, activeAtMost: Int?, now: Date
    ) async throws
        -> APIKeyRecord
    /// The firm's active keys and the ones it revoked most recently (a bounded number), newest first.
    func apiKeys(firmID: Int64) async throws -> [APIKeyRecord]
    /// Revokes one of the firm's keys (again is a no-op).
    /// - Throws: `.notFound` when the firm has no such key.
    func revokeAPIKey(firmID: Int64, keyID: Int64, now: Date) async throws -> APIKeyRecord
    /// The unrevoked key with this hash and its firm, or `nil`. Records `now` as the key's last use,
    /// at most once a minute per key.
    func authenticate(keyHash: String, now: Date) async throws -> Authentication?

    /// Moves credits and writes the ledger row in one transaction; the balance never goes below zero.
    /// - Throws: `.insufficientCredits` when a debit would take the balance below zero; `.notFound` for an unknown firm.
    func applyCredits(
        firmID: Int64, amount: Credits, kind: LedgerKind, reference: String, now: Date
    ) async throws
        -> LedgerEntry
    /// The firm's ledger, newest first, `limit` rows after the entry id `startingAfter`.
    func ledger(firmID: Int64, limit: Int, startingAfter: Int64?) async throws -> [LedgerEntry]
    /// The sum of the firm's ledger (equal to its balance, always).
    func ledgerSum(firmID: Int64) async throws -> Credits

    /// Inserts or updates contacts in one transaction, matched on kind and phone (or email when there is no phone).
    func importContacts(firmID: Int64, _ contacts: [Contact], now: Date) async throws -> ContactImportSummary
    /// The firm's contacts.
    func contacts(firmID: Int64) async throws -> [Contact]
    /// Creates or updates the firm's clients by phone number, in a constant number of statements (the earliest
    /// client with a number is the one updated). Phones are distinct and present.
    func upsertClients(firmID: Int64, _ contacts: [Contact], now: Date) async throws -> ContactImportSummary
    /// Deletes every contact of the firm with this `254…` number. - Returns: How many.
    func deleteContacts(firmID: Int64, phone: String) async throws -> Int
    /// The contact for each phone number (normalised digits) that has one: a client before an address-book entry,
    /// the earliest first within a kind.
    func contactsByPhone(firmID: Int64, phones: [String]) async throws -> [String: Contact]
    /// The contact for each address (lower-cased) that has one, matched ignoring case: a client before an
    /// address-book entry.
    func contactsByEmail(firmID: Int64, addresses: [String]) async throws -> [String: Contact]
}

extension Store {
    /// Records a new key by its hash, with no bound on the firm's keys (the command line, the sandbox seed).
    /// - Throws: `.duplicate` when the hash is already known.
    public func createAPIKey(firmID: Int64, hash: String, displayPrefix: String, label: String, now: Date) async throws -> APIKeyRecord {
        try await createAPIKey(firmID: firmID, hash: hash, displayPrefix: displayPrefix, label: label, activeAtMost: nil, now: now)
    }
}
