import Foundation
import Logging
import WLPorts

@testable import WLStore

/// The engines the conformance suite runs on, and a fresh, migrated store on each for every check.
enum TestDatabases {
    /// `WLCOMM_TEST_POSTGRES_URL`, set by `scripts/test.sh` after it starts a throwaway cluster.
    static let postgresURL: String? = ProcessInfo.processInfo.environment["WLCOMM_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static let logger: Logger = {
        var logger = Logger(label: "wlcomm.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` with a new SQLite database in a temporary folder.
    static func withSQLite<T: Sendable>(_ body: @Sendable (SQLiteDatabase) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try await SQLiteDatabase.open(path: folder.appendingPathComponent("test.sqlite").path, readers: 2, logger: logger)
        do {
            let result = try await body(database)
            try await database.close()
            return result
        } catch {
            try? await database.close()
            throw error
        }
    }

    /// Shared by every test schema, so that most statements run prepared, as they do in a long-running server.
    static let statementNames = PostgresStatementNames(limit: 512)

    /// Runs `body` with a PostgreSQL database whose connections all use a new, empty schema.
    static func withPostgres<T: Sendable>(_ body: @Sendable (PostgresDatabase) async throws -> T) async throws -> T {
        guard let url = postgresURL else { throw StoreError.invalidURL("WLCOMM_TEST_POSTGRES_URL is not set") }
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        _ = try await running(try PostgresDatabase(url: url, maximumConnections: 2, logger: logger)) { admin in
            try await admin.transaction { try await $0.query("CREATE SCHEMA \(schema)") }
        }
        let database = try PostgresDatabase(
            url: url, schema: schema, maximumConnections: 10, unavailableAfter: .milliseconds(1_500), probeInterval: .milliseconds(250),
            statementNames: statementNames, logger: logger)
        return try await running(database, body)
    }

    /// Runs a PostgreSQL pool for as long as `body` takes.
    static func running<T: Sendable>(_ database: PostgresDatabase, _ body: @Sendable (PostgresDatabase) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// Runs `body` with a migrated store on `engine`.
    static func withStore<T: Sendable>(_ engine: Engine, _ body: @Sendable (SQLStore) async throws -> T) async throws -> T {
        switch engine {
        case .sqlite:
            try await withSQLite { database in
                let store = SQLStore(database: database, secrets: conformanceSecrets)
                try await store.migrate()
                return try await body(store)
            }
        case .postgres:
            try await withPostgres { database in
                let store = SQLStore(database: database, secrets: conformanceSecrets)
                try await store.migrate()
                return try await body(store)
            }
        }
    }

    enum Engine: String, Sendable {
        case sqlite
        case postgres
    }
}
