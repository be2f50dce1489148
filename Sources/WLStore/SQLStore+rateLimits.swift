public import WLDomain
import WLPorts

extension SQLStore {
    /// Decides and records in one transaction that holds the key's row (created first if new), so concurrent
    /// requests from every instance are counted one after another. A refused request changes nothing.
    public func consume(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        try await write { connection in
            // One statement creates or locks the row and reads it, so housekeeping cannot delete it in between.
            let current = try await connection.query(
                "INSERT INTO rate_limits (key, tat) VALUES ($1, 0) ON CONFLICT (key) DO UPDATE SET tat = rate_limits.tat RETURNING tat",
                [.text(key)])[0]
            let (decision, tat) = GCRA.decide(policy, tat: try current.int("tat"), now: now)
            if decision.allowed { try await connection.query("UPDATE rate_limits SET tat = $2 WHERE key = $1", [.text(key), .int(tat)]) }
            return decision
        }
    }

    public func peek(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        try await database.read { connection in
            let current = try await connection.query("SELECT tat FROM rate_limits WHERE key = $1", [.text(key)]).first
            return GCRA.decide(policy, tat: try current?.int("tat"), now: now).decision
        }
    }
}
