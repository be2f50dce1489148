public import Logging

/// Where the store lives: the embedded SQLite file (the default) or a PostgreSQL URL.
public enum StoreLocation: Sendable, Equatable {
    /// The default file.
    public static let defaultSQLitePath = "./data/wlcomm.sqlite"

    case sqlite(path: String)
    case postgres(url: String)

    /// `postgres://…` and `postgresql://…` choose PostgreSQL; `sqlite:PATH` or a plain path choose SQLite;
    /// `nil` or empty is the default SQLite file. Schemes are matched in any case, as URLs' are.
    public init(databaseURL: String?) {
        guard let url = databaseURL, !url.isEmpty else {
            self = .sqlite(path: Self.defaultSQLitePath)
            return
        }
        let lowercased = url.lowercased()
        if lowercased.hasPrefix("postgres://") || lowercased.hasPrefix("postgresql://") {
            self = .postgres(url: url)
        } else if lowercased.hasPrefix("sqlite://") {
            self = .sqlite(path: String(url.dropFirst("sqlite://".count)))
        } else if lowercased.hasPrefix("sqlite:") {
            self = .sqlite(path: String(url.dropFirst("sqlite:".count)))
        } else {
            self = .sqlite(path: url)
        }
    }

    /// Refuses a URL of another scheme (`mysql://…`), which would otherwise be taken for a SQLite file path.
    /// - Throws: ``StoreError/invalidURL(_:)`` naming the scheme.
    public func check() throws {
        guard case .sqlite(let path) = self, let separator = path.range(of: "://") else { return }
        let scheme = path[..<separator.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return }
        throw StoreError.invalidURL(
            "unsupported database URL scheme \"\(scheme)\": use postgres://user:password@host:port/database or a SQLite file path")
    }

    /// Opens the engine (not yet migrated). A PostgreSQL database must be run as a service before use.
    /// - Parameter unavailableAfter: How long a request may wait for the database (a PostgreSQL connection, SQLite's
    ///   write lock) before it answers 503; the server's setting. `nil` (tools): 30 s for SQLite's lock, 1.5 s for a
    ///   PostgreSQL connection.
    /// - Parameter maximumConnections: PostgreSQL's pool size (`database.maxConnections`).
    /// - Parameter preparedStatements: How many statement texts PostgreSQL runs prepared (`database.preparedStatements`).
    public func open(
        logger: Logger, unavailableAfter: Duration? = nil, maximumConnections: Int = 20, preparedStatements: Int = 512
    ) async throws -> any SQLDatabase {
        try check()
        switch self {
        case .sqlite(let path): return try await SQLiteDatabase.open(path: path, busyTimeout: unavailableAfter ?? .seconds(30), logger: logger)
        case .postgres(let url):
            return try PostgresDatabase(
                url: url, maximumConnections: maximumConnections, unavailableAfter: unavailableAfter ?? .milliseconds(1_500),
                preparedStatements: preparedStatements, logger: logger)
        }
    }
}
