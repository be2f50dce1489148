import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
public import ServiceLifecycle
import Synchronization
import WLPorts

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
    /// The statements that run prepared.
    let statementNames: PostgresStatementNames
    /// The running pools' tasks, by pool: the current one, and a replaced one while it closes.
    private let runningPools = Mutex<[ObjectIdentifier: Task<Void, Never>]>([:])
    /// Wakes the run loop to start a replaced pool, and the prober to probe at once.
    private let poolReplaced = WorkSignal()
    private let probeWanted = WorkSignal()

    /// Creates the client for `url` (`postgres://user:password@host:port/database?sslmode=…&sslrootcert=…`, the modes as
    /// libpq's: see ``TLSChoice``).
    /// - Parameters:
    ///   - schema: When set, every connection starts with this `search_path` (tests use a schema each).
    ///   - maximumConnections: The pool's bound.
    ///   - unavailableAfter: How long a request may wait for a connection before it answers 503.
    ///   - preparedStatements: How many statement texts run prepared (``PostgresStatementNames``); 0: none.
    public convenience init(
        url: String, schema: String? = nil, maximumConnections: Int = 20, unavailableAfter: Duration = .milliseconds(1_500),
        probeInterval: Duration = .milliseconds(250), preparedStatements: Int = 512, logger: Logger
    ) throws {
        try self.init(
            url: url, schema: schema, maximumConnections: maximumConnections, unavailableAfter: unavailableAfter, probeInterval: probeInterval,
            statementNames: PostgresStatementNames(limit: preparedStatements), logger: logger)
    }

    /// Creates the client with its statement names given: databases may share them (tests, a schema each).
    init(
        url: String, schema: String?, maximumConnections: Int, unavailableAfter: Duration, probeInterval: Duration,
        statementNames: PostgresStatementNames, logger: Logger
    ) throws {
        let parts = try ConnectionParts(url: url)
        var configuration = parts.clientConfiguration
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = unavailableAfter
        if let schema {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        self.configuration = configuration
        var probe = try parts.connectionConfiguration()
        // A probe's TCP connect must fail fast enough that a waiting request still answers within 2 s.
        probe.options.connectTimeout = .milliseconds(300)
        probe.options.additionalStartupParameters = configuration.options.additionalStartupParameters
        self.probeConfiguration = probe
        self.unavailableAfter = unavailableAfter
        self.probeInterval = probeInterval
        self.statementNames = statementNames
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

    /// Runs the current pool, and each pool that replaces it, until the current one ends (cancellation, graceful
    /// shutdown). A replaced pool is cancelled in its own task, so the new one serves requests at once however long
    /// the old one takes to close. A pool runs once: `PostgresClient.run()` may not be called twice.
    private func runPools() async {
        var client = current.withLock { $0 }
        start(client)
        await withTaskCancellationHandler {
            while !Task.isCancelled {
                await poolReplaced.wait(upTo: .seconds(3600))
                let latest = current.withLock { $0 }
                if latest !== client {
                    let old = runningPools.withLock { $0.removeValue(forKey: ObjectIdentifier(client)) }
                    client = latest
                    start(client)
                    old?.cancel()
                } else if runningPools.withLock({ $0[ObjectIdentifier(client)] == nil }) {
                    return
                }
            }
        } onCancel: {
            for task in runningPools.withLock({ Array($0.values) }) { task.cancel() }
            poolReplaced.signal()
        }
    }

    /// Runs `client` in a task of its own; when it ends, the run loop hears of it.
    private func start(_ client: PostgresClient) {
        let task = Task {
            await client.run()
            _ = self.runningPools.withLock { $0.removeValue(forKey: ObjectIdentifier(client)) }
            self.poolReplaced.signal()
        }
        runningPools.withLock { $0[ObjectIdentifier(client)] = task }
    }

    /// While the database is down, or when a request asks, tries one fresh connection; after an outage a success
    /// replaces the pool and marks the database up.
    private func runProber() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await probeWanted.wait(upTo: availability.isUp ? .seconds(3600) : probeInterval)
            guard !Task.isCancelled else { return }
            do {
                try await probe()
                if availability.isUp {
                    // Busy pools ask often; one probe a quarter second is plenty.
                    try? await Task.sleep(for: probeInterval)
                } else {
                    current.withLock { $0 = PostgresClient(configuration: configuration, backgroundLogger: poolLogger) }
                    poolReplaced.signal()
                    availability.markUp()
                }
            } catch {
                availability.markDown(Self.describe(error))
            }
        }
    }

    /// Opens one connection and runs `SELECT 1` on it, the whole probe within `unavailableAfter` (at least 1 s).
    /// - Throws: The connection's error, or ``ProbeTimedOut`` (the connection is then closed).
    func probe() async throws {
        // A connection that goes silent after authentication would otherwise hold the prober, the only one to mark the
        // database up again, until TCP gives up. The floor keeps a healthy probe (300 ms connect, TLS, authentication,
        // query) from being cut short when unavailableAfter is small, which would keep a live database marked down.
        let limit = max(unavailableAfter, .seconds(1))
        let probeConfiguration = probeConfiguration
        let logger = logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Connecting honours cancellation; the query does not, so cancelling it closes the connection.
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: probeConfiguration, id: 0, logger: logger)
                defer { Task { try? await connection.close() } }
                try await withTaskCancellationHandler {
                    _ = try await connection.query("SELECT 1", logger: logger).collect()
                } onCancel: {
                    let _: EventLoopFuture<Void> = connection.close()
                }
            }
            group.addTask {
                try await Task.sleep(for: limit)
                throw ProbeTimedOut()
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await body(PostgresSQLConnection(connection: connection, names: self.statementNames, logger: self.logger))
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            let wrapped = PostgresSQLConnection(connection: connection, names: self.statementNames, logger: self.logger)
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

    /// Lends a connection from the pool for `body`, and answers 503 instead of hanging: when the connection fails, and
    /// when the database is found down while the request waits for a connection (it is then given up and will not
    /// run) or while `body` runs on one. A running `body` is not answered while it may still commit: its connection
    /// is closed first, so PostgreSQL rolls back what it has not committed, and the work ends with the closed
    /// connection's error (503), or, should the driver's call not end, with 503 once the connection is closed.
    /// A request still waiting after `unavailableAfter` wakes the prober, so an outage is known within a probe's time.
    /// The work runs in a task of its own, so that a request never waits on a driver call that does not end.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard availability.isUp else { throw DatabaseAvailability.unavailable() }
        let client = current.withLock { $0 }
        let attempt = PostgresAttempt<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard attempt.begin(continuation) else { return }
                let work = Task {
                    do {
                        let value = try await client.withConnection { connection in
                            guard attempt.start(on: connection) else { throw CancellationError() }
                            defer { attempt.release() }
                            return try await body(connection)
                        }
                        attempt.finish(.success(value))
                    } catch {
                        attempt.finish(.failure(self.unavailableIfConnectionFailed(error)))
                    }
                }
                attempt.watch(work: work) {
                    try? await Task.sleep(for: self.unavailableAfter)
                    // Still waiting: the pool is busy, or PostgreSQL is away. The prober tells which; a busy pool
                    // on a live database keeps the request waiting, as a queue should.
                    if !attempt.isAnswered && !attempt.isRunning { self.probeWanted.signal() }
                    while !attempt.isAnswered {
                        if !self.availability.isUp {
                            if attempt.giveUpWaiting() { return }
                            // Running: answering now could tell the client nothing was done while its transaction
                            // goes on to commit on a connection that still works (the prober can mark the database
                            // down on a slow probe), and a retry would do it twice. Once the connection is closed it
                            // sends nothing more, so nothing the work had not yet sent can commit; only a COMMIT
                            // already on its way may land, as on any connection that drops at that moment.
                            if let closing = attempt.closeConnection() {
                                try? await closing.get()
                                // The work's own answer (the closed connection's 503) comes first if it can.
                                try? await Task.sleep(for: .milliseconds(50))
                                _ = attempt.giveUp()
                                return
                            }
                        }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
        } onCancel: {
            attempt.cancel()
        }
    }

    /// `error`, or 503 when it means the connection failed (then the database is marked down and probed). A request
    /// caught in a pool being replaced gets 503 too, without marking anything.
    private func unavailableIfConnectionFailed(_ error: any Error) -> any Error {
        if (error as? PSQLError)?.code == .poolClosed { return DatabaseAvailability.unavailable() }
        guard Self.isConnectionFailure(error) else { return error }
        availability.markDown(Self.describe(error))
        probeWanted.signal()
        return DatabaseAvailability.unavailable()
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
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .failedToAddSSLHandler:
            return true
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

/// A probe that did not connect and answer `SELECT 1` in time.
struct ProbeTimedOut: Error {}

/// The parts of a `postgres://` URL, for the pool and for single probe connections.
struct ConnectionParts {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var tls: TLSChoice

    init(url text: String) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme?.lowercased()),
            let host = url.host, !host.isEmpty
        else { throw StoreError.invalidURL("expected postgres://user:password@host:port/database") }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.host = host
        port = url.port ?? 5432
        username = url.user ?? "postgres"
        password = url.password
        self.database = database.isEmpty ? nil : database
        let query = { (name: String) in url.queryItems?.first(where: { $0.name == name })?.value }
        tls = try TLSChoice(sslMode: query("sslmode") ?? "disable", rootCertificate: query("sslrootcert"))
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls.mode {
            case .disable: .disable
            case .prefer: .prefer(self.tls.configuration)
            case .require: .require(self.tls.configuration)
            }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch self.tls.mode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: self.tls.configuration))
            case .require: .require(try NIOSSLContext(configuration: self.tls.configuration))
            }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}

/// What `sslmode` (and `sslrootcert`) in the URL mean, as libpq defines them: `disable` (no TLS), `allow` and
/// `prefer` (TLS when the server offers it, the certificate not checked), `require` (TLS, the certificate not checked
/// unless `sslrootcert` is given, then as `verify-ca`), `verify-ca` (TLS, the certificate chain checked against
/// `sslrootcert` or the system's roots), `verify-full` (that and the host name). Any other mode is refused.
struct TLSChoice: Equatable {
    enum Mode: Equatable {
        case disable, prefer, require
    }

    var mode: Mode
    var verification: CertificateVerification
    /// A PEM file of the certificate authorities to trust instead of the system's.
    var rootCertificate: String?

    init(sslMode: String, rootCertificate: String?) throws {
        self.rootCertificate = rootCertificate
        switch sslMode {
        case "disable": (mode, verification) = (.disable, .none)
        case "allow", "prefer": (mode, verification) = (.prefer, .none)
        case "require": (mode, verification) = (.require, rootCertificate == nil ? .none : .noHostnameVerification)
        case "verify-ca": (mode, verification) = (.require, .noHostnameVerification)
        case "verify-full": (mode, verification) = (.require, .fullVerification)
        default:
            throw StoreError.invalidURL("sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not \(sslMode)")
        }
    }

    var configuration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = verification
        if let rootCertificate { configuration.trustRoots = .file(rootCertificate) }
        return configuration
    }
}
