import ArgumentParser
import Logging
import WLApp
import WLPorts
import WLStore

/// `wlcomm backup`: an online, consistent copy of the SQLite database (and its secrets key file).
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database, while the server runs, to a new file (with its key file). PostgreSQL: use pg_dump (docs/operate.md).")
    @Option(help: "The backup file to write; it must not exist.") var to: String
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let path = try await sqlitePath(options, command: "backup")
        let written = try await SQLiteBackup.backUp(databasePath: path, to: to, logger: Logger(label: "wlcomm"))
        try options.output(written) { "backed up \(path) to \($0.database) (\($0.bytes) bytes)" + ($0.keyFile.map { ", key file \($0)" } ?? "") }
    }
}

/// `wlcomm restore`: a backup made by `wlcomm backup` becomes the SQLite database again.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a backup made by `wlcomm backup` and make it the SQLite database (stop the server first). PostgreSQL: pg_restore.")
    @Option(help: "The backup file.") var from: String
    @Flag(help: "Replace an existing database (and its -wal, -shm and key files).") var replace = false
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let path = try await sqlitePath(options, command: "restore")
        let written = try await SQLiteBackup.restore(backupPath: from, to: path, replace: replace, logger: Logger(label: "wlcomm"))
        try options.output(written) { "restored \(from) as \($0.database) (\($0.bytes) bytes)" + ($0.keyFile.map { ", key file \($0)" } ?? "") }
    }
}

/// The configured database's file, or a failure saying what to use on PostgreSQL.
private func sqlitePath(_ options: GlobalOptions, command: String) async throws -> String {
    switch AppSettings(reader: try await options.reader()).store {
    case .sqlite(let path): return path
    case .postgres:
        throw CommandFailure(message: "`wlcomm \(command)` is for SQLite; on PostgreSQL use pg_dump and pg_restore (docs/operate.md, Backups).")
    }
}
