import Foundation
public import Logging
import NIOCore
public import PostgresNIO
public import ServiceLifecycle

/// The scale-out engine: a pooled `PostgresClient`. It is a `Service`: its pool runs while the service group does.
public final class PostgresDatabase: SQLDatabase, Service {
    public var dialect: SQLDialect { .postgres }

    /// The underlying pooled client.
    public let client: PostgresClient
    private let logger: Logger

    /// Creates the client for `url` (`postgres://user:password@host:port/database?sslmode=disable|prefer|require`).
    /// - Parameters:
    ///   - schema: When set, every connection starts with this `search_path` (tests use a schema each).
    ///   - maximumConnections: The pool's bound.
    public init(url: String, schema: String? = nil, maximumConnections: Int = 20, logger: Logger) throws {
        var configuration = try Self.configuration(url: url)
        configuration.options.maximumConnections = maximumConnections
        if let schema {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Parses a `postgres://` or `postgresql://` URL into a client configuration.
    static func configuration(url text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty
        else { throw StoreError.invalidURL("expected postgres://user:password@host:port/database") }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let sslMode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
            database: database.isEmpty ? nil : database, tls: tls)
    }

    /// Runs the connection pool until cancelled or shut down gracefully.
    public func run() async throws {
        await client.run()
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(PostgresSQLConnection(connection: connection, logger: logger))
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let wrapped = PostgresSQLConnection(connection: connection, logger: logger)
            try await wrapped.query("BEGIN")
            do {
                let result = try await body(wrapped)
                try await wrapped.query("COMMIT")
                return result
            } catch {
                _ = try? await wrapped.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Nothing to do: the pool closes when ``run()`` ends.
    public func close() async throws {}
}

/// One PostgreSQL connection seen through ``SQLConnection``.
struct PostgresSQLConnection: SQLConnection, @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .int(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            var result: [SQLRow] = []
            for try await row in rows {
                var values: [String: SQLValue] = [:]
                for cell in row {
                    values[cell.columnName] = try Self.value(of: cell)
                }
                result.append(SQLRow(values: values))
            }
            return result
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError.uniqueViolation(error.serverInfo?[.message] ?? "unique violation")
        }
    }

    static func value(of cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2: return .int(try cell.decode(Int64.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}
