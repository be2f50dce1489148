/// A rate limit as the IETF RateLimit header fields describe it: a quota of `quota` requests per `window` seconds,
/// enforced with GCRA, so requests may come in bursts of up to `quota` and then at `quota / window` per second.
public struct RateLimitPolicy: Hashable, Codable, Sendable {
    /// The policy's name in `RateLimit-Policy` and `RateLimit` (`sends`, `reads`, `auth`).
    public var name: String
    public var quota: Int
    /// Seconds.
    public var window: Int

    public init(name: String, quota: Int, window: Int) {
        precondition(quota > 0 && window > 0, "a rate limit needs a positive quota and window")
        self.name = name
        self.quota = quota
        self.window = window
    }

    /// Microseconds between requests at the sustained rate; at least 1, so a quota above a million a second is
    /// enforced as a million a second rather than dividing by zero.
    var emissionInterval: Int64 { max(1, Int64(window) * 1_000_000 / Int64(quota)) }

    /// The `RateLimit-Policy` field: `"sends";q=100;w=5`.
    public var policyHeader: String { "\"\(name)\";q=\(quota);w=\(window)" }
}

/// What the limiter decided for one request.
public struct RateLimitDecision: Hashable, Sendable {
    public var policy: RateLimitPolicy
    public var allowed: Bool
    /// Requests left in the quota now.
    public var remaining: Int
    /// Seconds until the quota is whole again.
    public var reset: Int
    /// Seconds until a refused request may succeed; `nil` when allowed.
    public var retryAfter: Int?

    /// The `RateLimit` field: `"sends";r=57;t=2`.
    public var header: String { "\"\(policy.name)\";r=\(remaining);t=\(reset)" }
}

/// The generic cell rate algorithm over one stored instant per key, the theoretical arrival time (TAT), in
/// microseconds. Pure: the store or the in-process limiter keeps the TAT.
public enum GCRA {
    /// Decides a request at `now` against the key's `tat` (`nil` for a key never seen).
    /// - Returns: The decision and the TAT to store (unchanged when refused).
    public static func decide(_ policy: RateLimitPolicy, tat: Int64?, now: Int64) -> (decision: RateLimitDecision, tat: Int64) {
        let interval = policy.emissionInterval
        let window = Int64(policy.window) * 1_000_000
        let start = max(tat ?? now, now)
        let next = start + interval
        if next - now > window {
            let wait = next - now - window
            return (
                RateLimitDecision(
                    policy: policy, allowed: false, remaining: 0, reset: seconds(start - now), retryAfter: max(1, seconds(wait))),
                tat ?? now
            )
        }
        let remaining = Int((window - (next - now)) / interval)
        return (RateLimitDecision(policy: policy, allowed: true, remaining: remaining, reset: seconds(next - now), retryAfter: nil), next)
    }

    /// Whole seconds, rounded up.
    static func seconds(_ microseconds: Int64) -> Int { Int((max(0, microseconds) + 999_999) / 1_000_000) }
}
