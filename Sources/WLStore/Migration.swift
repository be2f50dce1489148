/// One schema change: a version, a name, and its statements for each engine.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sqlite: [String]
    public var postgres: [String]

    /// The statements for `dialect`.
    func statements(for dialect: SQLDialect) -> [String] {
        dialect == .sqlite ? sqlite : postgres
    }
}

/// Applies ``Migration/all`` in order and records each in `schema_migrations`.
///
/// All pending migrations run in one transaction. On PostgreSQL that transaction first takes an advisory lock,
/// so instances starting together apply each migration once. Start-up refuses a database whose recorded
/// migrations are not a prefix of the code's list (a newer or different build migrated it).
enum Migrator {
    /// The advisory-lock key: "wlcomm" in ASCII.
    static let advisoryLockKey: Int64 = 0x776c_636f_6d6d

    /// Brings the schema up to date.
    /// - Returns: The versions applied now (empty when the database was current).
    @discardableResult
    static func migrate(_ database: any SQLDatabase, migrations: [Migration] = Migration.all) async throws -> [Int] {
        let dialect = database.dialect
        // Up to date already (the usual case for every process after the first): a read, so a CLI command next to a
        // busy server never queues for SQLite's writer just to learn that nothing is to be done.
        if let recorded = try? await database.read({ try await $0.query("SELECT version, name FROM schema_migrations ORDER BY version") }),
            recorded.count == migrations.count,
            try zip(recorded, migrations).allSatisfy({ row, migration in
                try row.int("version") == Int64(migration.version) && row.text("name") == migration.name
            })
        {
            return []
        }
        return try await database.transaction { connection in
            if dialect == .postgres {
                try await connection.query("SELECT pg_advisory_xact_lock($1)", [.int(advisoryLockKey)])
            }
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            let recorded = try await connection.query("SELECT version, name FROM schema_migrations ORDER BY version")
                .map { (try $0.int("version"), try $0.text("name")) }
            for (index, (version, name)) in recorded.enumerated() {
                guard index < migrations.count, migrations[index].version == version, migrations[index].name == name else {
                    throw StoreError.migrationMismatch("the database has migration \(version) \(name), which this build does not know")
                }
            }
            var applied: [Int] = []
            for migration in migrations.dropFirst(recorded.count) {
                for statement in migration.statements(for: dialect) {
                    try await connection.query(statement)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    [.int(Int64(migration.version)), .text(migration.name), .time(.now)])
                applied.append(migration.version)
            }
            return applied
        }
    }
}
