import Synchronization
public import WLDomain

/// Rate limits kept in this process's memory: exact for one process, which is what an SQLite deployment is.
public final class InProcessRateLimits: RateLimitStore {
    private let tats = Mutex<[String: Int64]>([:])

    public init() {}

    public func consume(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        tats.withLock { tats in
            let (decision, tat) = GCRA.decide(policy, tat: tats[key], now: now)
            tats[key] = tat
            // Keys whose quota is whole again carry no information: drop them now and then.
            if tats.count > 100_000 { tats = tats.filter { $0.value > now } }
            return decision
        }
    }

    public func peek(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        tats.withLock { GCRA.decide(policy, tat: $0[key], now: now).decision }
    }
}
