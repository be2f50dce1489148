import Foundation
public import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// Online backups of the embedded SQLite database, and their restore.
///
/// A backup is SQLite's `VACUUM INTO`: one read transaction on its own connection, so it is a consistent snapshot of
/// the database at one instant, taken while the server goes on writing (WAL readers never block the writer). The
/// secrets key file (`<database>.key`) is copied beside the backup (`<backup>.key`): without it the webhook secrets
/// and the tracking key in the backup cannot be opened, so a backup is as secret as the key. Both files are mode 0600.
public enum SQLiteBackup {
    /// What a backup or restore wrote.
    public struct Written: Sendable, Encodable {
        public var database: String
        public var keyFile: String?
        public var bytes: Int
    }

    /// Backs the database at `databasePath` up to `backupPath`, which must not exist yet.
    /// - Throws: ``SQLiteBackupError`` when the source is missing, the target exists, or the copy fails its check.
    public static func backUp(databasePath: String, to backupPath: String, logger: Logger) async throws -> Written {
        guard FileManager.default.fileExists(atPath: databasePath) else { throw SQLiteBackupError("No database at \(databasePath).") }
        try refuseExisting(backupPath)
        try PrivateFile.createFolder(holding: backupPath)
        // Made empty with mode 0600 first (VACUUM INTO takes an empty file as its target): SQLite would create it
        // 0644, readable by anyone until the copy, which can take minutes, was done.
        try PrivateFile.createEmpty(backupPath)
        do {
            try await withConnection(databasePath, logger: logger) { connection in
                _ = try await connection.query("VACUUM INTO ?1", [.text(backupPath)])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: backupPath)
            throw error
        }
        try await checkIntegrity(backupPath, logger: logger)
        let keyFile = try copyKeyFile(from: databasePath, to: backupPath)
        return Written(database: backupPath, keyFile: keyFile, bytes: try size(backupPath))
    }

    /// Restores the backup at `backupPath` as the database at `databasePath` (with its key file), after checking it.
    /// The target must not exist unless `replace`; a replaced database loses its `-wal` and `-shm` files too. Refused
    /// while any process has the database open (see ``DatabaseLock``): a server would go on writing to the replaced
    /// file, and what it wrote would vanish. The new file takes the old one's place in one `rename`.
    public static func restore(backupPath: String, to databasePath: String, replace: Bool, logger: Logger) async throws -> Written {
        guard FileManager.default.fileExists(atPath: backupPath) else { throw SQLiteBackupError("No backup at \(backupPath).") }
        try await checkIntegrity(backupPath, logger: logger)
        if !replace { try refuseExisting(databasePath) }
        try PrivateFile.createFolder(holding: databasePath)
        let lock: DatabaseLock
        do {
            lock = try DatabaseLock.exclusive(databasePath)
        } catch {
            throw SQLiteBackupError("\(databasePath) is open in a running server or command; stop it first (\(error)).")
        }
        defer { lock.release() }
        let staging = "\(databasePath).restoring"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.copyItem(atPath: backupPath, toPath: staging)
        try PrivateFile.restrict(staging)
        for stale in ["\(databasePath)-wal", "\(databasePath)-shm"] where FileManager.default.fileExists(atPath: stale) {
            try FileManager.default.removeItem(atPath: stale)
        }
        try PrivateFile.replace(databasePath, with: staging)
        let keyFile = try copyKeyFile(from: backupPath, to: databasePath, replace: replace)
        return Written(database: databasePath, keyFile: keyFile, bytes: try size(databasePath))
    }

    private static func refuseExisting(_ path: String) throws {
        if FileManager.default.fileExists(atPath: path) || FileManager.default.fileExists(atPath: "\(path).key") {
            throw SQLiteBackupError("\(path) already exists; choose a new file.")
        }
    }

    /// `PRAGMA integrity_check` on the file: anything but `ok` is refused.
    private static func checkIntegrity(_ path: String, logger: Logger) async throws {
        let result = try await withConnection(path, logger: logger) { connection in
            try await connection.query("PRAGMA integrity_check").first?.column("integrity_check")?.string
        }
        guard result == "ok" else { throw SQLiteBackupError("\(path) fails SQLite's integrity check: \(result ?? "no answer").") }
    }

    /// Copies `<from>.key` to `<to>.key` with mode 0600, when there is one.
    private static func copyKeyFile(from source: String, to target: String, replace: Bool = false) throws -> String? {
        let (from, to) = ("\(source).key", "\(target).key")
        guard FileManager.default.fileExists(atPath: from) else { return nil }
        if replace, FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
        try FileManager.default.copyItem(atPath: from, toPath: to)
        try PrivateFile.restrict(to)
        return to
    }

    private static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// A connection of its own to the file at `path`, on a thread of its own, closed afterwards.
    private static func withConnection<T: Sendable>(
        _ path: String, logger: Logger, _ body: @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: threads, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            _ = try await connection.query("PRAGMA busy_timeout=30000")
            let result = try await body(connection)
            try await connection.close()
            try await threads.shutdownGracefully()
            return result
        } catch {
            try? await connection.close()
            try? await threads.shutdownGracefully()
            throw error
        }
    }
}

/// A backup or restore that could not be done; the message says why.
public struct SQLiteBackupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
