import Synchronization
public import WLDomain
public import WLPorts

/// Rate limits kept in this process's memory: exact for one process, which is what an SQLite deployment is.
public final class InProcessRateLimits: RateLimitStore {
    private struct State {
        var tats: [String: Int64] = [:]
        /// The size at which the next sweep runs: twice what the last one kept, so sweeps stay rare even when most
        /// keys are live.
        var sweepAt = 100_000
    }

    private let state = Mutex(State())

    public init() {}

    public func consume(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        state.withLock { state in
            let (decision, tat) = GCRA.decide(policy, tat: state.tats[key], now: now)
            state.tats[key] = tat
            // Keys whose quota is whole again carry no information: drop them now and then.
            if state.tats.count > state.sweepAt {
                state.tats = state.tats.filter { $0.value > now }
                state.sweepAt = max(100_000, 2 * state.tats.count)
            }
            return decision
        }
    }

    public func peek(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        state.withLock { GCRA.decide(policy, tat: $0.tats[key], now: now).decision }
    }
}
