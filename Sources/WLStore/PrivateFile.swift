import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
public import WLPorts
#endif

/// Files only the service's user may read: the SQLite database (and so its `-wal` and `-shm` files, which SQLite
/// creates with the database file's mode) and the secrets key file.
enum PrivateFile {
    /// Owner read and write only.
    static let fileMode: mode_t = 0o600
    /// Owner only.
    static let folderMode: mode_t = 0o700

    /// Creates the folder that holds `path` (and missing parents) with mode 0700; an existing folder is left as it is.
    static func createFolder(holding path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard !FileManager.default.fileExists(atPath: folder) else { return }
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(folderMode)])
    }

    /// Gives the file at `path` mode 0600.
    static func restrict(_ path: String) throws {
        guard chmod(path, fileMode) == 0 else { throw PrivateFileError(path: path, errno: errno) }
    }

    /// Creates an empty file at `path` with mode 0600 unless something is there already.
    static func createEmptyIfMissing(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw PrivateFileError(path: path, errno: errno)
        }
    }

    /// Publishes `contents` at `path` with mode 0600, atomically and only if nothing is there yet: the contents go to
    /// a temporary file that is then hard-linked into place, so a concurrent reader never sees a half-written file.
    /// - Returns: Whether this call created the file (`false`: another process was first; read its contents).
    static func publishIfMissing(_ path: String, contents: String) throws -> Bool {
        let temporary = "\(path).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw PrivateFileError(path: temporary, errno: errno) }
        defer { unlink(temporary) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0 else { throw PrivateFileError(path: temporary, errno: errno) }
        if link(temporary, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw PrivateFileError(path: path, errno: errno)
    }

    /// Creates an empty file at `path` with mode 0600; fails if anything is there (a file planted there first would
    /// otherwise receive what is written next).
    static func createEmpty(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw PrivateFileError(path: path, errno: errno) }
        close(descriptor)
    }

    /// Puts the file at `staging` in `path`'s place in one step (`rename(2)`): there is always either the old file or
    /// the new one at `path`, never neither.
    static func replace(_ path: String, with staging: String) throws {
        guard rename(staging, path) == 0 else { throw PrivateFileError(path: path, errno: errno) }
    }

    /// The permission bits of the file at `path`.
    static func mode(of path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? 0
    }
}

/// A file-system call on a private file failed.
struct PrivateFileError: Error, CustomStringConvertible {
    var path: String
    var errno: Int32
    var description: String { "\(path): \(String(cString: strerror(errno)))" }
}

/// The lock that says a database file is open: every process that opens it through ``SQLiteDatabase`` holds a
/// shared `flock` on `<database>.lock` until it closes it, and a restore takes it exclusively, so it refuses to
/// replace a database a server (or a command) has open.
final class DatabaseLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The lock file of the database at `path`.
    static func path(of database: String) -> String { "\(database).lock" }

    /// Holds the lock shared, waiting for an exclusive holder (a restore) to finish.
    static func shared(_ database: String) throws -> DatabaseLock {
        try take(database, operation: LOCK_SH)
    }

    /// Holds the lock alone, or fails at once while anyone holds it.
    /// - Throws: ``PrivateFileError`` with `EWOULDBLOCK` while the database is open somewhere.
    static func exclusive(_ database: String) throws -> DatabaseLock {
        try take(database, operation: LOCK_EX | LOCK_NB)
    }

    private static func take(_ database: String, operation: Int32) throws -> DatabaseLock {
        let lockPath = path(of: database)
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, PrivateFile.fileMode)
        guard descriptor >= 0 else { throw PrivateFileError(path: lockPath, errno: errno) }
        guard flock(descriptor, operation) == 0 else {
            let failure = errno
            close(descriptor)
            throw PrivateFileError(path: lockPath, errno: failure)
        }
        return DatabaseLock(descriptor: descriptor)
    }

    /// Lets the lock go (closing the file releases it).
    func release() {
        close(descriptor)
    }
}
