import Foundation
public import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import ServiceLifecycle
import Synchronization
import WLDomain

/// The embedded default engine: one SQLite file in WAL mode, ONE writer connection behind a FIFO lock for every
/// transaction (opened with `BEGIN IMMEDIATE`), and a few reader connections for plain reads.
public final class SQLiteDatabase: SQLDatabase {
    public var dialect: SQLDialect { .sqlite }

    /// Whether writes succeed: a full disk, an I/O error or a lock held too long marks it down (writes answer 503,
    /// reads go on); the next committed write marks it up. Shared with the metrics.
    public let availability: DatabaseAvailability
    private let writer: ConnectionPool<SQLiteConnection>
    private let readers: ConnectionPool<SQLiteConnection>
    private let readerCount: Int
    private let threads: [NIOThreadPool]
    /// Where write transactions run their Swift code: the writer's thread (``WriterExecutor``).
    private let writerExecutor: WriterExecutor
    /// Held while the database is open (see ``DatabaseLock``).
    private let lock: DatabaseLock

    private init(
        writer: SQLiteConnection, readers: [SQLiteConnection], writerThread: NIOThreadPool, readerThreads: NIOThreadPool, lock: DatabaseLock,
        logger: Logger
    ) {
        self.lock = lock
        self.availability = DatabaseAvailability(logger: logger, affected: "writes")
        self.writer = ConnectionPool([writer])
        self.readers = ConnectionPool(readers)
        self.readerCount = readers.count
        self.threads = [writerThread, readerThreads]
        self.writerExecutor = WriterExecutor(pool: writerThread)
    }

    /// Opens (and creates, with its folder) the database file at `path`. A new file is created with mode 0600 (so
    /// are its `-wal` and `-shm` files, which SQLite gives the database file's mode), a new folder with mode 0700.
    /// - Parameters:
    ///   - path: The file, e.g. `./data/wlcomm.sqlite`.
    ///   - readers: How many reader connections to keep beside the one writer.
    ///   - busyTimeout: How long a write waits for another process's lock on the file before it answers 503.
    public static func open(path: String, readers: Int = 4, busyTimeout: Duration = .seconds(30), logger: Logger) async throws -> SQLiteDatabase {
        try PrivateFile.createFolder(holding: path)
        // Held until close: a restore refuses to replace a database that is open.
        let lock = try DatabaseLock.shared(path)
        do {
            // SQLite would create the file with mode 0644; an empty file is a new database to it.
            try PrivateFile.createEmptyIfMissing(path)
            // Own threads, not sqlite-nio's shared pool: a connection waiting on SQLite's lock blocks its thread, and
            // must never block the thread of the connection that holds the lock (another store in this process).
            let writerThreads = NIOThreadPool(numberOfThreads: 1)
            let readerThreads = NIOThreadPool(numberOfThreads: max(1, readers))
            writerThreads.start()
            readerThreads.start()
            let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
            let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: writerThreads, logger: logger, on: eventLoop)
            let busyMilliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
            // temp_store=MEMORY: the statement journal that a multi-row INSERT keeps (to undo itself alone if it fails
            // midway) stays in memory instead of a temporary file the writer pwrites to; it holds at most the pages one
            // statement changes.
            for pragma in [
                "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=\(busyMilliseconds)",
                "PRAGMA temp_store=MEMORY",
            ] {
                _ = try await writer.query(pragma)
            }
            var readerConnections: [SQLiteConnection] = []
            for _ in 0..<max(1, readers) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: readerThreads, logger: logger, on: eventLoop)
                _ = try await reader.query("PRAGMA busy_timeout=5000")
                _ = try await reader.query("PRAGMA query_only=1")
                readerConnections.append(reader)
            }
            return SQLiteDatabase(
                writer: writer, readers: readerConnections, writerThread: writerThreads, readerThreads: readerThreads, lock: lock, logger: logger)
        } catch {
            lock.release()
            throw error
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await readers.with { try await body(SQLiteSQLConnection(connection: $0, availability: availability)) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(writerExecutor) { try await self.writeTransaction(body) }
    }

    private func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await writer.with { raw in
            let connection = SQLiteSQLConnection(connection: raw, availability: availability)
            try await connection.query("BEGIN IMMEDIATE")
            do {
                let result = try await body(connection)
                try await Self.end("COMMIT", on: connection)
                availability.markUp()
                return result
            } catch {
                try? await Self.end("ROLLBACK", on: connection)
                throw error
            }
        }
    }

    /// Runs `COMMIT` or `ROLLBACK`, from a fresh task when the caller's is cancelled: sqlite-nio skips every call of a
    /// cancelled task, and a transaction left open would go back to the pool with the writer connection, failing the
    /// next writer's `BEGIN`.
    private static func end(_ statement: String, on connection: SQLiteSQLConnection) async throws {
        if Task.isCancelled {
            try await Task { _ = try await connection.query(statement) }.value
        } else {
            try await connection.query(statement)
        }
    }

    /// Waits for graceful shutdown (or cancellation), then closes the connections from a fresh, uncancelled task:
    /// sqlite-nio cannot close a connection from a cancelled task, and must not drop one unclosed.
    public func run() async throws {
        try? await gracefulShutdown()
        try await Task { try await self.close() }.value
    }

    public func close() async throws {
        for connection in try await writer.drain(count: 1) + readers.drain(count: readerCount) {
            try await connection.close()
        }
        for pool in threads {
            try await pool.shutdownGracefully()
        }
        lock.release()
    }
}

/// One SQLite connection seen through ``SQLConnection``: `$n` placeholders become `?n`, values map both ways,
/// and constraint errors become ``StoreError``.
struct SQLiteSQLConnection: SQLConnection {
    let connection: SQLiteConnection
    let availability: DatabaseAvailability

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let data: [SQLiteData] = binds.map {
            switch $0 {
            case .int(let value): .integer(Int(value))
            case .text(let value): .text(value)
            case .null: .null
            }
        }
        let rows: [SQLiteRow]
        do {
            rows = try await connection.query(Self.placeholders(sql), data)
        } catch let error as SQLiteError {
            switch error.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed: throw StoreError.uniqueViolation(error.message)
            case _ where Self.isUnavailable(error.reason):
                availability.markDown("\(error.reason): \(error.message)")
                throw DatabaseAvailability.unavailable(retryAfter: 5)
            default: throw error
            }
        }
        guard let first = rows.first else { return [] }
        let columns = SQLColumns(first.columns.map(\.name))
        return try rows.map { row in
            let cells = try row.columns.map { column -> SQLValue in
                switch column.data {
                case .integer(let value): return .int(Int64(value))
                case .text(let value): return .text(value)
                case .null: return .null
                case .float, .blob: throw StoreError.corrupt("column \(column.name) holds a non-integer, non-text value")
                }
            }
            return SQLRow(columns: columns, cells: cells)
        }
    }

    /// Whether SQLite could not do the work for a reason outside the request: a full disk, an I/O error, a file
    /// another process keeps locked, a file that cannot be opened or written. The request may succeed later (503).
    static func isUnavailable(_ reason: SQLiteError.Reason) -> Bool {
        switch reason {
        case .full, .ioError, .busy, .locked, .readOnly, .cantOpen, .busyTimeout, .busyInRecovery, .busyInSnapshot, .lockedBySharedCache,
            .readonlyInRecovery, .readonlyCantLock, .readonlyInRollback, .readonlyBackingMoved, .readonlyDirectory, .ioErrorFailedRead,
            .ioErrorIncompleteRead, .ioErrorFailedWrite, .ioErrorFailedSync, .ioErrorFailedDirSync, .ioErrorFailedTruncate,
            .ioErrorFailedStat, .ioErrorFailedUnlock, .ioErrorFailedReadLock, .ioErrorFailedDelete, .ioErrorNoMemory,
            .ioErrorFailedAccess, .ioErrorFailedLockCheck, .ioErrorFailedAdvisoryLock, .ioErrorFailedClose,
            .ioErrorFailedSharedMemOpen, .ioErrorFailedSharedMemSize, .ioErrorFailedSharedMemMap, .ioErrorFailedMemoryMap,
            .ioErrorCantFindTempdir, .ioErrorCorruptedFilesystem, .cantOpenDirectory:
            true
        default: false
        }
    }

    /// Rewrites PostgreSQL-style `$1` placeholders to SQLite's numbered `?1`. The statements are a fixed set, so
    /// each is rewritten once and then looked up (up to ``rewrittenCapacity`` of them).
    static func placeholders(_ sql: String) -> String {
        if let known = rewritten.withLock({ $0[sql] }) { return known }
        let result = rewrite(sql)
        rewritten.withLock { known in
            if known.count < rewrittenCapacity { known[sql] = result }
        }
        return result
    }

    private static let rewrittenCapacity = 1024
    private static let rewritten = Mutex<[String: String]>([:])

    /// `$` followed by a digit becomes `?`; everything else is copied byte for byte.
    static func rewrite(_ sql: String) -> String {
        var bytes = Array(sql.utf8)
        let dollar = UInt8(ascii: "$")
        for index in bytes.indices.dropLast() where bytes[index] == dollar && (0x30...0x39).contains(bytes[index + 1]) {
            bytes[index] = UInt8(ascii: "?")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
