public import WLDomain

/// Where GCRA keeps each key's theoretical arrival time. ``InProcessRateLimits`` keeps it in memory (one process, the
/// SQLite default); ``SQLStore`` keeps it in PostgreSQL, so every instance on one database shares each limit.
public protocol RateLimitStore: Sendable {
    /// Decides one request for `key` under `policy` at `now` (epoch microseconds), atomically.
    func consume(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision
    /// The decision a request would get, without counting it.
    func peek(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision
}
