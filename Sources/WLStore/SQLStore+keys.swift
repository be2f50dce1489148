public import Foundation
public import WLDomain

extension SQLStore {
    static let keyColumns = "id, firm_id, key_hash, display_prefix, label, created_at, last_used_at, revoked_at"
    /// A key's last use is written at most this often, so authentication is not a write per request.
    static let lastUsedResolution: TimeInterval = 60

    public func createAPIKey(
        firmID: Int64, hash: String, displayPrefix: String, label: String, now: Date
    ) async throws
        -> APIKeyRecord
    {
        try await write(duplicate: "That API key already exists.") { connection in
            let rows = try await connection.query(
                """
                INSERT INTO api_keys (firm_id, key_hash, display_prefix, label, created_at)
                VALUES ($1, $2, $3, $4, $5) RETURNING \(Self.keyColumns)
                """,
                [.int(firmID), .text(hash), .text(displayPrefix), .text(label), .time(now)])
            return try Self.key(from: rows[0])
        }
    }

    public func apiKeys(firmID: Int64) async throws -> [APIKeyRecord] {
        try await database.read { connection in
            try await connection.query(
                "SELECT \(Self.keyColumns) FROM api_keys WHERE firm_id = $1 ORDER BY id DESC", [.int(firmID)]
            ).map(Self.key)
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

    public func authenticate(keyHash: String, now: Date) async throws -> Authentication? {
        let found = try await database.read { connection -> Authentication? in
            let prefixed = Self.keyColumns.split(separator: ", ").map { "k.\($0) AS k_\($0)" }.joined(separator: ", ")
            let firmColumns = Self.firmColumns.split(separator: ", ").map { "f.\($0)" }.joined(separator: ", ")
            guard
                let row = try await connection.query(
                    """
                    SELECT \(prefixed), \(firmColumns) FROM api_keys k JOIN firms f ON f.id = k.firm_id
                    WHERE k.key_hash = $1 AND k.revoked_at IS NULL
                    """,
                    [.text(keyHash)]
                ).first
            else { return nil }
            let keyRow = SQLRow(
                values: Dictionary(
                    uniqueKeysWithValues: row.values.compactMap { name, value in
                        name.hasPrefix("k_") ? (String(name.dropFirst(2)), value) : nil
                    }))
            return Authentication(key: try Self.key(from: keyRow), firm: try Self.firm(from: row))
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

    /// Reads a key from a row with ``keyColumns``.
    static func key(from row: SQLRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.int("id"), firmID: try row.int("firm_id"), hash: try row.text("key_hash"),
            displayPrefix: try row.text("display_prefix"), label: try row.text("label"), createdAt: try row.time("created_at"),
            lastUsedAt: try row.optionalTime("last_used_at"), revokedAt: try row.optionalTime("revoked_at"))
    }
}
