public import Foundation
public import WLPorts

extension SQLStore {
    public func claimIdempotencyKey(
        firmID: Int64, key: String, requestHash: String, now: Date, staleAfter: TimeInterval, expiry: TimeInterval
    ) async throws -> IdempotencyClaim {
        try await write { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO idempotency_keys (firm_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (firm_id, key) DO UPDATE SET request_hash = idempotency_keys.request_hash WHERE 1 = 0 RETURNING key
                """, [.int(firmID), .text(key), .text(requestHash), .time(now)])
            // A key that exists is locked by the insert above (an update that does nothing still locks), so housekeeping
            // cannot delete it before it is read.
            if !inserted.isEmpty { return .proceed }
            let row = try await connection.query(
                "SELECT request_hash, response_status, response_body, created_at FROM idempotency_keys WHERE firm_id = $1 AND key = $2\(lockClause)",
                [.int(firmID), .text(key)])[0]
            let created = try row.time("created_at")
            let status = try row.optionalInt("response_status")
            let sameRequest = try row.text("request_hash") == requestHash
            let expired = now.timeIntervalSince(created) >= expiry
            // Only the same request takes over an abandoned claim: another body still gets 422.
            let abandoned = status == nil && sameRequest && now.timeIntervalSince(created) >= staleAfter
            if expired || abandoned {
                try await connection.query(
                    """
                    UPDATE idempotency_keys SET request_hash = $3, response_status = NULL, response_body = NULL, created_at = $4, completed_at = NULL
                    WHERE firm_id = $1 AND key = $2
                    """, [.int(firmID), .text(key), .text(requestHash), .time(now)])
                return .proceed
            }
            guard sameRequest else { return .mismatch }
            guard let status else { return .inFlight }
            return .replay(status: Int(status), body: try row.optionalText("response_body") ?? "")
        }
    }

    public func completeIdempotencyKey(firmID: Int64, key: String, claimedAt: Date, status: Int, body: String, now: Date) async throws {
        try await write { connection in
            try await connection.query(
                """
                UPDATE idempotency_keys SET response_status = $3, response_body = $4, completed_at = $5
                WHERE firm_id = $1 AND key = $2 AND created_at = $6 AND response_status IS NULL
                """,
                [.int(firmID), .text(key), .int(Int64(status)), .text(body), .time(now), .time(claimedAt)])
        }
    }

    public func releaseIdempotencyKey(firmID: Int64, key: String, claimedAt: Date) async throws {
        try await write { connection in
            try await connection.query(
                "DELETE FROM idempotency_keys WHERE firm_id = $1 AND key = $2 AND created_at = $3 AND response_status IS NULL",
                [.int(firmID), .text(key), .time(claimedAt)])
        }
    }
}
