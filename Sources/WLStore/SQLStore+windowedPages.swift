extension SQLStore {
    /// The statement of a page read through a bounded window (``MessagePage``, ``WebhookDeliveryPage``).
    ///
    /// The window `w` is the newest `window` rows of `table` that `found` selects (a firm's, through an index, below
    /// the cursor), read newest first only as far as the page needs; the page is the newest `limit + 1` of those that
    /// `kept` keeps, the extra one saying there is more. When the page is not full, each row also carries
    /// `window_floor`: the id of the window's last row when the window was full (NULL when it was not, so no older row
    /// can match). When nothing matched, one row of it alone comes back, every other column NULL. One statement, so the
    /// page and the floor come from one snapshot.
    /// - Parameters:
    ///   - windowColumns: the columns `kept` reads, besides `id`.
    ///   - rows: the page's rows: a join of `page` (its ids) with the tables `columns` and `order` name.
    static func windowedPage(
        table: String, windowColumns: String, found: [String], kept: [String], window: Int, limit: Int, binds: inout [SQLValue],
        columns: String, rows: String, order: String
    ) -> String {
        precondition(limit > 0, "a page of no rows")
        let window = max(window, 1)
        binds += [.int(Int64(window)), .int(Int64(window - 1)), .int(Int64(limit + 1))]
        let (windowSize, beforeFloor, pageSize) = ("$\(binds.count - 2)", "$\(binds.count - 1)", "$\(binds.count)")
        let windowed = found.joined(separator: " AND ")
        return """
            WITH page AS (
                SELECT id FROM (
                    SELECT id, \(windowColumns) FROM \(table) WHERE \(windowed) ORDER BY id DESC LIMIT \(windowSize)
                ) AS w
                WHERE \(kept.isEmpty ? "true" : kept.joined(separator: " AND ")) ORDER BY id DESC LIMIT \(pageSize)
            )
            SELECT s.window_floor AS window_floor, \(columns)
            FROM (
                SELECT CASE WHEN (SELECT COUNT(*) FROM page) < \(pageSize)
                    THEN (SELECT id FROM \(table) WHERE \(windowed) ORDER BY id DESC LIMIT 1 OFFSET \(beforeFloor)) END AS window_floor
            ) AS s
            LEFT JOIN (\(rows)) ON true
            ORDER BY \(order)
            """
    }

    /// Where the page of `rows` (a ``windowedPage(table:windowColumns:found:kept:window:limit:binds:columns:rows:order:)``
    /// result, `matched` its rows that hold one, up to `limit + 1`) ends: after its last row when there is more, else
    /// at the window's floor (NULL: nothing older can match).
    static func nextStartingAfter(_ rows: [SQLRow], matched: [Int64], limit: Int) throws -> Int64? {
        if limit > 0, matched.count > limit { return matched[limit - 1] }
        guard let first = rows.first else { throw StoreError.corrupt("a windowed listing returned no row") }
        return try first.optionalInt("window_floor")
    }
}
