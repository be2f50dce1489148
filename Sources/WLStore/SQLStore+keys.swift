public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore {
    static let keyColumns = "id, firm_id, key_hash, display_prefix, label, created_at, last_used_at, revoked_at"
    /// A key's last use is written at most this often, so authentication is not a write per request.
    static let lastUsedResolution: TimeInterval = 60

    public func createAPIKey(
        firmID: Int64, hash: String, displayPrefix: String, label: String, activeAtMost: Int?, now: Date
    ) async throws
        -> APIKeyRecord
    {
        let lock = database.dialect == .postgres ? " FOR NO KEY UPDATE" : ""
        return try await write(duplicate: "That API key already exists.") { connection in
            if let activeAtMost {
                // The firm's row is locked first (SQLite's one writer does the same), so two requests at once count
                // one after the other.
                _ = try await connection.query("SELECT id FROM firms WHERE id = $1\(lock)", [.int(firmID)])
                let active =
                    try await connection.query(
                        "SELECT count(*) AS n FROM api_keys WHERE firm_id = $1 AND revoked_at IS NULL", [.int(firmID)]
                    ).first?.int("n") ?? 0
                guard active < activeAtMost else {
                    throw DomainError(.conflict, "A firm may have at most \(activeAtMost) active API keys; revoke one it no longer uses first.")
                }
            }
            let rows = try await connection.query(
                """
                INSERT INTO api_keys (firm_id, key_hash, display_prefix, label, created_at)
                VALUES ($1, $2, $3, $4, $5) RETURNING \(Self.keyColumns)
                """,
                [.int(firmID), .text(hash), .text(displayPrefix), .text(label), .time(now)])
            return try Self.key(from: rows[0])
        }
    }

    /// The most revoked keys ``apiKeys(firmID:)`` lists, newest first: a firm that makes and revokes keys in a loop
    /// would otherwise make its list grow without end.
    public static let revokedKeysListed = 50

    public func apiKeys(firmID: Int64) async throws -> [APIKeyRecord] {
        try await database.read { connection in
            try await connection.query(
                """
                SELECT \(Self.keyColumns) FROM api_keys WHERE firm_id = $1 AND revoked_at IS NULL
                UNION ALL
                SELECT * FROM (
                    SELECT \(Self.keyColumns) FROM api_keys WHERE firm_id = $1 AND revoked_at IS NOT NULL ORDER BY id DESC LIMIT $2
                ) AS revoked
                ORDER BY id DESC
                """, [.int(firmID), .int(Int64(Self.revokedKeysListed))]
            ).map { try Self.key(from: $0) }
        }
    }

    public func revokeAPIKey(firmID: Int64, keyID: Int64, now: Date) async throws -> APIKeyRecord {
        try await write { connection in
            let rows = try await connection.query(
                """
                UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3)
                WHERE id = $1 AND firm_id = $2 RETURNING \(Self.keyColumns)
                """,
                [.int(keyID), .int(firmID), .time(now)])
            guard let row = rows.first else { throw DomainError(.notFound, "This firm has no API key \(keyID).") }
            return try Self.key(from: row)
        }
    }

    /// The key (columns prefixed `k_`) and its firm, by key hash: built once, not per request.
    static let authenticationQuery: String = {
        let prefixed = keyColumns.split(separator: ", ").map { "k.\($0) AS k_\($0)" }.joined(separator: ", ")
        let firm = firmColumns.split(separator: ", ").map { "f.\($0)" }.joined(separator: ", ")
        return """
            SELECT \(prefixed), \(firm) FROM api_keys k JOIN firms f ON f.id = k.firm_id
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL
            """
    }()

    public func authenticate(keyHash: String, now: Date) async throws -> Authentication? {
        let found = try await database.read { connection -> Authentication? in
            guard let row = try await connection.query(Self.authenticationQuery, [.text(keyHash)]).first else { return nil }
            return Authentication(key: try Self.key(from: row, prefix: "k_"), firm: try Self.firm(from: row))
        }
        guard var found else { return nil }
        if found.key.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.lastUsedResolution }) ?? true {
            let keyID = found.key.id
            try await write { connection in
                try await connection.query(
                    "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
                    [.int(keyID), .time(now)])
            }
            found.key.lastUsedAt = now
        }
        return found
    }

    /// Reads a key from a row with ``keyColumns``, each name after `prefix`.
    static func key(from row: SQLRow, prefix: String = "") throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.int(prefix + "id"), firmID: try row.int(prefix + "firm_id"), hash: try row.text(prefix + "key_hash"),
            displayPrefix: try row.text(prefix + "display_prefix"), label: try row.text(prefix + "label"),
            createdAt: try row.time(prefix + "created_at"), lastUsedAt: try row.optionalTime(prefix + "last_used_at"),
            revokedAt: try row.optionalTime(prefix + "revoked_at"))
    }
}
