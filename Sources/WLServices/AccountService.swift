public import Foundation
public import WLDomain
public import WLStore

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
    let cache: AuthenticationCache

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
        let found: Authentication
        if let cached = cache.authentication(keyHash: hash, now: now) {
            found = cached
        } else {
            guard let read = try await store.authenticate(keyHash: hash, now: now) else {
                throw DomainError(.unauthenticated, "Missing or invalid API key.")
            }
            cache.keep(read, keyHash: hash, now: now)
            found = read
        }
        if let denial = found.firm.accessDenial(at: now) { throw denial }
        return found
    }

    /// The firm's current balance and rate, read fresh from the store.
    public func balance(firmID: Int64) async throws -> Balance {
        guard let firm = try await store.firm(id: firmID) else { throw DomainError(.notFound, "Firm not found.") }
        return Balance(smsCredits: firm.smsCredits, smsRate: firm.smsRate)
    }
}
