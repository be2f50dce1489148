import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// The scale-out engine: a pooled `PostgresClient`. It is a `Service`: its pool runs while the service group does.
///
/// It answers fast when PostgreSQL is away. A request that cannot get a connection within `unavailableAfter`, or
/// whose connection fails, gets ``DatabaseAvailability/unavailable(retryAfter:)`` (503), and marks the database
/// down; while it is down, requests get that error at once, and a prober tries a fresh connection every
/// `probeInterval`. When one succeeds the pool is replaced by a new one (the old pool would wait out its
/// reconnection back-off) and requests go through again.
public final class PostgresDatabase: SQLDatabase, Service {
    public var dialect: SQLDialect { .postgres }

    /// Whether PostgreSQL answers; shared with the metrics.
    public let availability: DatabaseAvailability
    private let configuration: PostgresClient.Configuration
    private let probeConfiguration: PostgresConnection.Configuration
    private let unavailableAfter: Duration
    private let probeInterval: Duration
    private let logger: Logger
    private let poolLogger: Logger
    /// The pool in use; replaced after an outage.
    private let current: Mutex<PostgresClient>
    /// Wakes the run loop to start a replaced pool, and the prober to probe at once.
    private let poolReplaced = WorkSignal()
    private let probeWanted = WorkSignal()

    /// Creates the client for `url` (`postgres://user:password@host:port/database?sslmode=disable|prefer|require`).
    /// - Parameters:
    ///   - schema: When set, every connection starts with this `search_path` (tests use a schema each).
    ///   - maximumConnections: The pool's bound.
    ///   - unavailableAfter: How long a request may wait for a connection before it answers 503.
    public init(
        url: String, schema: String? = nil, maximumConnections: Int = 20, unavailableAfter: Duration = .milliseconds(1_500),
        probeInterval: Duration = .milliseconds(250), logger: Logger
    ) throws {
        let parts = try ConnectionParts(url: url)
        var configuration = parts.clientConfiguration
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = unavailableAfter
        if let schema {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        self.configuration = configuration
        var probe = parts.connectionConfiguration
        probe.options.connectTimeout = .init(unavailableAfter)
        probe.options.additionalStartupParameters = configuration.options.additionalStartupParameters
        self.probeConfiguration = probe
        self.unavailableAfter = unavailableAfter
        self.probeInterval = probeInterval
        self.logger = logger
        self.availability = DatabaseAvailability(logger: logger)
        // The pool logs every failed reconnection at info level; the availability logs the outage once instead.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        self.poolLogger = poolLogger
        self.current = Mutex(PostgresClient(configuration: configuration, backgroundLogger: poolLogger))
    }

    /// Parses a `postgres://` or `postgresql://` URL into a client configuration.
    static func configuration(url text: String) throws -> PostgresClient.Configuration {
        try ConnectionParts(url: text).clientConfiguration
    }

    /// Runs the pool (and each pool that replaces it) and the prober until cancelled or shut down gracefully.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runPools() }
            group.addTask { await self.runProber() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Runs the current pool until it ends (cancellation, graceful shutdown) or the prober replaces it; then runs the
    /// replacement. A pool runs once: `PostgresClient.run()` may not be called twice.
    private func runPools() async {
        while !Task.isCancelled {
            let client = current.withLock { $0 }
            let replaced = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await client.run()
                    return false
                }
                group.addTask {
                    while !Task.isCancelled {
                        await self.poolReplaced.wait(upTo: .seconds(3600))
                        if self.current.withLock({ $0 }) !== client { return true }
                    }
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if !replaced { return }
        }
    }

    /// While the database is down, or when a request asks, tries one fresh connection; after an outage a success
    /// replaces the pool and marks the database up.
    private func runProber() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await probeWanted.wait(upTo: availability.isUp ? .seconds(3600) : probeInterval)
            guard !Task.isCancelled else { return }
            do {
                try await probe()
                if !availability.isUp {
                    current.withLock { $0 = PostgresClient(configuration: configuration, backgroundLogger: poolLogger) }
                    poolReplaced.signal()
                    availability.markUp()
                }
            } catch {
                availability.markDown(Self.describe(error))
            }
        }
    }

    private func probe() async throws {
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: probeConfiguration, id: 0, logger: logger)
        defer { Task { try? await connection.close() } }
        _ = try await connection.query("SELECT 1", logger: logger).collect()
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await body(PostgresSQLConnection(connection: connection, logger: self.logger))
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            let wrapped = PostgresSQLConnection(connection: connection, logger: self.logger)
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

    /// What a request waiting for a connection sees first: the connection, or the deadline.
    private enum Race<T: Sendable>: Sendable {
        case done(T)
        case deadline
    }

    /// Lends a connection from the pool, within `unavailableAfter`; connection failures become 503.
    private func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard availability.isUp else { throw DatabaseAvailability.unavailable() }
        let client = current.withLock { $0 }
        let started = StartFlag()
        do {
            return try await withoutActuallyEscaping(body) { body in
                try await withThrowingTaskGroup(of: Race<T>.self) { group in
                    group.addTask {
                        .done(
                            try await client.withConnection { connection in
                                started.set()
                                return try await body(connection)
                            })
                    }
                    group.addTask {
                        try? await Task.sleep(for: self.unavailableAfter)
                        return .deadline
                    }
                    while let first = try await group.next() {
                        switch first {
                        case .done(let value):
                            group.cancelAll()
                            return value
                        case .deadline where !started.isSet:
                            group.cancelAll()
                            throw ConnectionWaitTimedOut()
                        case .deadline:
                            continue
                        }
                    }
                    throw CancellationError()
                }
            }
        } catch let error where error is ConnectionWaitTimedOut || Self.isConnectionFailure(error) {
            // A pool waiting on a live database is only busy: let the prober decide whether it is away.
            if !(error is ConnectionWaitTimedOut) { availability.markDown(Self.describe(error)) }
            probeWanted.signal()
            throw DatabaseAvailability.unavailable()
        }
    }

    /// What went wrong with a connection, without the query or credentials that PSQLError's reflection may hold.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(type(of: error))" }
        let server = error.serverInfo.map { " \($0[.sqlState] ?? "") \($0[.message] ?? "")" } ?? ""
        return "\(error.code)\(server)" + (error.underlying.map { ": \($0)" } ?? "")
    }

    /// Whether `error` means PostgreSQL cannot be reached (as opposed to a query it refused).
    static func isConnectionFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed, .failedToAddSSLHandler: return true
        case .server:
            // Class 08 (connection exception) and 57 (operator intervention: shutdown, cannot connect now).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57")
        default: return false
        }
    }

    /// Nothing to do: the pool closes when ``run()`` ends.
    public func close() async throws {}
}

/// Whether a request got its connection.
private final class StartFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// A request waited `unavailableAfter` without getting a connection.
struct ConnectionWaitTimedOut: Error {}

/// The parts of a `postgres://` URL, for the pool and for single probe connections.
struct ConnectionParts {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var sslMode: String

    init(url text: String) throws {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty
        else { throw StoreError.invalidURL("expected postgres://user:password@host:port/database") }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.host = host
        port = url.port ?? 5432
        username = url.user ?? "postgres"
        password = url.password
        self.database = database.isEmpty ? nil : database
        sslMode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    var connectionConfiguration: PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        // A probe only asks whether the server answers; `try!` cannot fail with the default TLS configuration.
        case "require": tls = .require(try! NIOSSLContext(configuration: .makeClientConfiguration()))
        default: tls = .prefer(try! NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
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
