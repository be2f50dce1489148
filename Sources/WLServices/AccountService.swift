public import Foundation
public import WLDomain
public import WLPorts

/// A firm's balance as the contract shows it.
public struct Balance: Sendable, Hashable {
    public var smsCredits: Credits
    public var smsRate: KES
    public var currency: String { "KES" }
}

/// Authenticates API keys and answers questions about the calling firm's account.
public struct AccountService: Sendable {
    let store: any Store
    let time: any TimeSource
    /// Recent authentications (see ``AuthenticationCache`` for what that costs in staleness).
    public let cache: AuthenticationCache

    /// - Parameter cacheLifetime: How long an authentication is reused without reading the store; 0 reads it on
    ///   every request.
    public init(store: any Store, time: any TimeSource, cacheLifetime: TimeInterval = 0) {
        self.store = store
        self.time = time
        self.cache = AuthenticationCache(lifetime: cacheLifetime)
    }

    /// The firm behind `key`.
    ///
    /// A key that authenticated within the cache lifetime is not read again (a revocation or suspension made
    /// elsewhere shows within that lifetime). The key is looked up by its SHA-256 hash through a unique index, so the time taken depends on the hash, not
    /// on how much of the key matched: nothing about a valid key leaks through timing.
    /// - Throws: `.unauthenticated` for a missing, malformed, unknown or revoked key; `.accountSuspended` or
    ///   `.subscriptionExpired` when the firm may not use the API.
    public func authenticate(_ key: APIKey?) async throws -> Authentication {
        guard let key else { throw DomainError(.unauthenticated, "Missing or invalid API key.") }
        let now = time.now
        let hash = key.hash
        let store = self.store
        guard let found = try await cache.authentication(keyHash: hash, now: now, read: { try await store.authenticate(keyHash: hash, now: now) })
        else { throw DomainError(.unauthenticated, "Missing or invalid API key.") }
        if let denial = found.firm.accessDenial(at: now) { throw denial }
        return found
    }

    /// The firm's current balance and rate, read fresh from the store.
    public func balance(firmID: Int64) async throws -> Balance {
        guard let firm = try await store.firm(id: firmID) else { throw DomainError(.notFound, "Firm not found.") }
        return Balance(smsCredits: firm.smsCredits, smsRate: firm.smsRate)
    }

    /// The firm's low-balance threshold and its balance.
    public func lowBalance(firmID: Int64) async throws -> Firm {
        guard let firm = try await store.firm(id: firmID) else { throw DomainError(.notFound, "Firm not found.") }
        return firm
    }

    /// Sets the firm's low-balance threshold (`nil`: no alert); one at or above the balance fires at once.
    public func setLowBalance(_ request: LowBalanceRequest, firmID: Int64) async throws -> Firm {
        try await store.setLowBalanceThreshold(firmID: firmID, request.validated(), now: time.now)
    }
}

/// The body of `PUT /sms-credits/low-balance`: `{"threshold": 100}` in credits (up to 4 decimals), or `null` for no
/// alert.
public struct LowBalanceRequest: Decodable, Sendable {
    /// The largest threshold: a billion credits.
    public static let maximum = Credits(whole: 1_000_000_000)

    var threshold: String?
    var given: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case threshold }

    public init(from decoder: any Decoder) throws {
        try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        given = container.contains(.threshold)
        if let text = try? container.decodeIfPresent(String.self, forKey: .threshold) {
            threshold = text
        } else if let number = try? container.decodeIfPresent(Decimal.self, forKey: .threshold) {
            threshold = "\(number)"
        } else if given, try !container.decodeNil(forKey: .threshold) {
            threshold = "not a number"
        }
    }

    /// - Throws: `.validation` on `threshold` unless it is `null` or credits from 0 to ``maximum``.
    func validated() throws -> Credits? {
        guard given else {
            throw DomainError(.validation, "The request is not valid.", fields: ["threshold": ["This field is required (null turns the alert off)."]])
        }
        guard let threshold else { return nil }
        guard let credits = Credits(threshold), credits >= .zero, credits <= Self.maximum else {
            throw DomainError(
                .validation, "The request is not valid.", fields: ["threshold": ["Credits from 0 to 1,000,000,000 with at most 4 decimals, or null."]]
            )
        }
        return credits
    }
}
