import Foundation
public import WLDomain
public import WLPorts

/// The service's default limits (a firm may have its own sends and reads limits).
public struct LimitSettings: Sendable {
    /// Off: nothing is limited (tests and benchmarks that mean to go fast).
    public var enabled = true
    /// Writes (POST, PUT, PATCH, DELETE) per API key: 100 per 5 s, so bursts of 100 and then 20 a second.
    public var sends = RateLimitPolicy(name: "sends", quota: 100, window: 5)
    /// GET and HEAD requests per API key: 600 per 10 s (bursts of 600, then 60 a second).
    public var reads = RateLimitPolicy(name: "reads", quota: 600, window: 10)
    /// Failed authentications per client address: 20 per minute.
    public var failedAuthentication = RateLimitPolicy(name: "auth", quota: 20, window: 60)
    /// Password checks (console and management API sign-ins, password changes, setting a password from an
    /// invitation), successful or not, per client address: 10 per minute. Each costs the one password thread a bcrypt run, so a client signing in
    /// correctly over and over must not fill it for everyone.
    public var signIns = RateLimitPolicy(name: "sign-in", quota: 10, window: 60)
    /// Tracking hits (open pixel and clicks) per client address: 120 per minute; over it a hit is answered but not counted.
    public var tracking = RateLimitPolicy(name: "tracking", quota: 120, window: 60)
    /// Management API and console page requests per signed-in user (per client address before sign-in): 600 per
    /// minute, so bursts of 600 and then 10 a second.
    public var console = RateLimitPolicy(name: "console", quota: 600, window: 60)
    /// Test webhooks per firm, from the public API, the management API and the console alike: 10 per minute.
    public var webhookTest = RateLimitPolicy(name: "webhook-test", quota: 10, window: 60)

    public init() {}
}

/// Applies the rate limits: per API key for authenticated requests (sends and reads apart), per console user for the
/// management API and the console, per firm for test webhooks, and per client address for failed authentication and
/// for tracking hits.
public struct RateLimiter: Sendable {
    let store: any RateLimitStore
    let time: any TimeSource
    public let settings: LimitSettings

    public init(store: any RateLimitStore, time: any TimeSource, settings: LimitSettings) {
        self.store = store
        self.time = time
        self.settings = settings
    }

    private var now: Int64 { Int64((time.now.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// Counts one request of an authenticated key; `nil` when limits are off.
    public func admit(_ authentication: Authentication, isSend: Bool) async throws -> RateLimitDecision? {
        guard settings.enabled else { return nil }
        let firm = authentication.firm
        let policy = isSend ? firm.sendLimit ?? settings.sends : firm.readLimit ?? settings.reads
        return try await store.consume(key: "key:\(authentication.key.id):\(policy.name)", policy: policy, now: now)
    }

    /// Whether `address` may still try to authenticate (counts nothing); `nil` when limits are off. An IPv6 address
    /// is also held to its /64's count, ten times the quota: one client cannot step past the limit with a new address
    /// per guess, nor can one neighbour's failures in a shared /64 (an office, a hosting provider) lock the others out.
    public func authenticationAllowed(from address: String) async throws -> RateLimitDecision? {
        guard settings.enabled else { return nil }
        let own = try await store.peek(key: "auth:\(IPBlock.exactKey(of: address))", policy: settings.failedAuthentication, now: now)
        guard own.allowed, let block = IPBlock.blockKey(of: address) else { return own }
        return try await store.peek(key: "auth:\(block)", policy: blockPolicy, now: now)
    }

    /// The failed-authentication policy of a whole IPv6 /64.
    private var blockPolicy: RateLimitPolicy {
        let policy = settings.failedAuthentication
        return RateLimitPolicy(name: policy.name, quota: policy.quota * 10, window: policy.window)
    }

    /// Counts one tracking hit (an open pixel or a click) from `address`; `nil` when limits are off.
    public func trackingHit(from address: String) async throws -> RateLimitDecision? {
        guard settings.enabled else { return nil }
        return try await store.consume(key: "tracking:\(IPBlock.limitKey(of: address))", policy: settings.tracking, now: now)
    }

    /// Counts one management API or console page request of the signed-in user `userID`, or of `address` when no
    /// one is signed in; `nil` when limits are off.
    public func consoleRequest(userID: Int64?, address: String) async throws -> RateLimitDecision? {
        guard settings.enabled else { return nil }
        let key = userID.map { "console:user:\($0)" } ?? "console:address:\(IPBlock.limitKey(of: address))"
        return try await store.consume(key: key, policy: settings.console, now: now)
    }

    /// Counts one test webhook of the firm `firmID`; `nil` when limits are off.
    public func webhookTest(firmID: Int64) async throws -> RateLimitDecision? {
        guard settings.enabled else { return nil }
        return try await store.consume(key: "webhook-test:firm:\(firmID)", policy: settings.webhookTest, now: now)
    }

    /// Counts one password check (a sign-in, a password change, a password set from an invitation) from `address`, successful or not,
    /// before it runs; an IPv6 address is also held to its /64's count, ten times the quota. `nil` when limits are off.
    public func passwordCheck(from address: String) async throws -> RateLimitDecision? {
        guard settings.enabled else { return nil }
        let policy = settings.signIns
        let own = try await store.consume(key: "sign-in:\(IPBlock.exactKey(of: address))", policy: policy, now: now)
        guard own.allowed, let block = IPBlock.blockKey(of: address) else { return own }
        let blockPolicy = RateLimitPolicy(name: policy.name, quota: policy.quota * 10, window: policy.window)
        return try await store.consume(key: "sign-in:\(block)", policy: blockPolicy, now: now)
    }

    /// Counts a failed authentication from `address`.
    public func authenticationFailed(from address: String) async throws -> RateLimitDecision? {
        guard settings.enabled else { return nil }
        let own = try await store.consume(key: "auth:\(IPBlock.exactKey(of: address))", policy: settings.failedAuthentication, now: now)
        guard let block = IPBlock.blockKey(of: address) else { return own }
        let shared = try await store.consume(key: "auth:\(block)", policy: blockPolicy, now: now)
        return own.allowed ? shared : own
    }
}
