public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore: OptOutStore {
    static let optOutRows = SQLSet([("firm_id", .int), ("phone", .text)])

    @discardableResult
    public func addOptOuts(_ entries: [FirmPhone], source: OptOutSource, now: Date) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        let rows = Self.optOutRows.parameter(entries.map { [.int($0.firmID), .text($0.phone)] })
        let dialect = database.dialect
        return try await write { connection in
            try await connection.query(
                """
                INSERT INTO sms_opt_outs (firm_id, phone, source, created_at)
                SELECT DISTINCT v.firm_id, v.phone, $2, $3 FROM \(Self.optOutRows.source(dialect, parameter: 1)) WHERE true
                ON CONFLICT (firm_id, phone) DO NOTHING RETURNING phone
                """, [rows, .text(source.rawValue), .time(now)]
            ).count
        }
    }

    public func removeOptOut(_ entry: FirmPhone) async throws -> Bool {
        try await write { connection in
            try await !connection.query(
                "DELETE FROM sms_opt_outs WHERE firm_id = $1 AND phone = $2 RETURNING phone", [.int(entry.firmID), .text(entry.phone)]
            ).isEmpty
        }
    }

    public func optOuts(firmID: Int64, limit: Int, startingAfter: String?) async throws -> [OptOut] {
        try await database.read { connection in
            try await connection.query(
                """
                SELECT phone, source, created_at FROM sms_opt_outs WHERE firm_id = $1 AND phone > $2 ORDER BY phone LIMIT $3
                """, [.int(firmID), .text(startingAfter ?? ""), .int(Int64(limit))]
            ).map { row in
                OptOut(phone: try row.text("phone"), source: try row.value("source", as: OptOutSource.self), createdAt: try row.time("created_at"))
            }
        }
    }

    /// Above this many numbers of one firm, ``optedOut(_:)`` first reads the firm's whole list, when it is no
    /// longer than this.
    static let optOutListProbe = 1_000

    public func optedOut(_ entries: [FirmPhone]) async throws -> Set<FirmPhone> {
        guard !entries.isEmpty else { return [] }
        let dialect = database.dialect
        return try await database.read { connection in try await Self.optedOut(entries, dialect: dialect, on: connection) }
    }

    /// Which of `entries` are on their firm's list, read on `connection`.
    static func optedOut(_ entries: [FirmPhone], dialect: SQLDialect, on connection: any SQLConnection) async throws -> Set<FirmPhone> {
        guard !entries.isEmpty else { return [] }
        // A blast of 10,000 numbers from a firm with a short list (most firms) reads that list instead of sending
        // 10,000 numbers to be joined: 1 ms, not 7–19. A firm with a longer list costs one more short read.
        let firmID = entries[0].firmID
        if entries.count > optOutListProbe, entries.allSatisfy({ $0.firmID == firmID }),
            let listed = try await optOutList(firmID: firmID, atMost: optOutListProbe, on: connection)
        {
            return Set(entries.filter { listed.contains($0.phone) })
        }
        let rows = optOutRows.parameter(entries.map { [.int($0.firmID), .text($0.phone)] })
        var found: Set<FirmPhone> = []
        for row in try await connection.query(
            """
            SELECT o.firm_id, o.phone FROM \(optOutRows.source(dialect, parameter: 1))
            JOIN sms_opt_outs o ON o.firm_id = v.firm_id AND o.phone = v.phone
            """, [rows])
        {
            found.insert(FirmPhone(firmID: try row.int("firm_id"), phone: try row.text("phone")))
        }
        return found
    }

    /// The firm's whole list, or `nil` when it holds more than `limit` numbers.
    private static func optOutList(firmID: Int64, atMost limit: Int, on connection: any SQLConnection) async throws -> Set<String>? {
        let phones = try await connection.query(
            "SELECT phone FROM sms_opt_outs WHERE firm_id = $1 LIMIT $2", [.int(firmID), .int(Int64(limit + 1))]
        ).map { try $0.text("phone") }
        return phones.count > limit ? nil : Set(phones)
    }

    public func firmIDs(sendingAs senderID: String, isDefault: Bool) async throws -> [Int64] {
        try await database.read { connection in
            try await connection.query(
                """
                SELECT id FROM firms WHERE sender_id_transactional = $1 OR sender_id_promotional = $1
                    OR ($2 = 1 AND (sender_id_transactional IS NULL OR sender_id_promotional IS NULL)) ORDER BY id
                """, [.text(senderID), .int(isDefault ? 1 : 0)]
            ).map { try $0.int("id") }
        }
    }
}
