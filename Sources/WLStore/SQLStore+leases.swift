import Foundation

extension SQLStore {
    /// The renewal every leased queue shares: extends `owner`'s leases on the rows of `table` with these ids (and, when
    /// given, still matching `held`) until `now + lease`, in one statement whose text is the same for any number of
    /// ids.
    /// - Returns: The ids whose lease was extended; the worker starts nothing for the others (fencing).
    func renewLeases(
        in table: String, held: String?, ids: [Int64], owner: String, lease: TimeInterval, now: Date
    ) async throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        let listed = Self.idRows.matches("id", database.dialect, parameter: 3)
        let condition = held.map { " AND \($0)" } ?? ""
        return try await write { connection in
            try await connection.query(
                "UPDATE \(table) SET lease_until = $2 WHERE lease_owner = $1\(condition) AND \(listed) RETURNING id",
                [.text(owner), .time(now.addingTimeInterval(lease)), Self.idRows.parameter(ids.map { [.int($0)] })]
            ).reduce(into: Set<Int64>()) { $0.insert(try $1.int("id")) }
        }
    }
}
