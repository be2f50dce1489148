public import ServiceLifecycle

/// The SQL engines the store speaks.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres

    /// `column` (`id` unless given) is one of the values `subquery` selects. On PostgreSQL `column = ANY(ARRAY(…))`:
    /// the subquery (a claim's `LIMIT … FOR … SKIP LOCKED`) runs once, and its rows are then found through
    /// `column`'s index. With `column IN (…)` the planner hashed the subquery's values against a scan of the whole
    /// table (a webhook claim of 200 among 20,000 rows: 12 ms against 4 ms), which grows with everything the table
    /// keeps.
    func idIn(_ subquery: String, column: String = "id") -> String {
        self == .postgres ? "\(column) = ANY(ARRAY(\(subquery)))" : "\(column) IN (\(subquery))"
    }
}

/// One connection lent to a closure: run statements with `$1`, `$2`… placeholders and bound values.
public protocol SQLConnection: Sendable {
    /// Runs one statement and returns its rows (empty for statements without results).
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLConnection {
    /// Runs one statement without binds.
    @discardableResult
    func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }
}

/// The port below ``SQLStore``: an engine that lends connections for reads and for transactions.
///
/// `SQLiteDatabase` and `PostgresDatabase` are the adapters. Everything above this protocol is engine-neutral
/// except the few statements that ask ``dialect``. It is a `Service`: run it in the service group for as long as the
/// process uses it (PostgreSQL's pool needs that; SQLite closes its connections on graceful shutdown).
public protocol SQLDatabase: Service {
    /// Which engine this is.
    var dialect: SQLDialect { get }

    /// Lends a connection for reads that need no transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T

    /// Runs `body` in one write transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T

    /// Closes every connection. Nothing may be called after.
    func close() async throws
}
