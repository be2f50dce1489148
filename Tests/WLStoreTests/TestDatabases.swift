import Foundation
import Logging
import Testing
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
                let result = try await body(store)
                #expect(try await orphans(store) == [], "rows whose parent is gone (SQLite)")
                return result
            }
        case .postgres:
            try await withPostgres { database in
                let store = SQLStore(database: database, secrets: conformanceSecrets)
                try await store.migrate()
                let result = try await body(store)
                #expect(try await orphans(store) == [], "rows whose parent is gone (PostgreSQL)")
                return result
            }
        }
    }

    /// Each relation PostgreSQL does not check row by row (migration 16 dropped the keys of the message, event and
    /// outbox tables; SQLite still enforces them), and the query that counts its rows whose parent does not exist.
    /// The store keeps them true by writing children from their parents in one statement and deleting children
    /// first; every store these tests make is checked for orphans when its test ends, on both engines.
    static let unchecked = [
        ("messages.firm_id", "SELECT COUNT(*) AS n FROM messages c WHERE NOT EXISTS (SELECT 1 FROM firms p WHERE p.id = c.firm_id)"),
        ("messages.blast_id", "SELECT COUNT(*) AS n FROM messages c WHERE NOT EXISTS (SELECT 1 FROM blasts p WHERE p.id = c.blast_id)"),
        ("message_events.firm_id", "SELECT COUNT(*) AS n FROM message_events c WHERE NOT EXISTS (SELECT 1 FROM firms p WHERE p.id = c.firm_id)"),
        (
            "message_events.message_id",
            "SELECT COUNT(*) AS n FROM message_events c WHERE NOT EXISTS (SELECT 1 FROM messages p WHERE p.id = c.message_id)"
        ),
        (
            "webhook_deliveries.firm_id",
            "SELECT COUNT(*) AS n FROM webhook_deliveries c WHERE NOT EXISTS (SELECT 1 FROM firms p WHERE p.id = c.firm_id)"
        ),
        (
            "webhook_deliveries.event_id",
            """
            SELECT COUNT(*) AS n FROM webhook_deliveries c
            WHERE c.event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM message_events p WHERE p.id = c.event_id)
            """
        ),
        (
            "webhook_attempts.delivery_id",
            "SELECT COUNT(*) AS n FROM webhook_attempts c WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.id = c.delivery_id)"
        ),
    ]

    /// PostgreSQL's `message_recipients` against `messages`, both ways: a row for each message not erased, and no
    /// other (``Migration/lookupIndexes``).
    static let uncheckedOnPostgres = [
        (
            "message_recipients.message_id",
            """
            SELECT COUNT(*) AS n FROM message_recipients c
            WHERE NOT EXISTS (SELECT 1 FROM messages p WHERE p.id = c.message_id AND p.firm_id = c.firm_id AND LOWER(p.recipient) = c.recipient)
            """
        ),
        (
            "messages without message_recipients",
            """
            SELECT COUNT(*) AS n FROM messages p WHERE p.recipient <> '[erased]'
            AND NOT EXISTS (SELECT 1 FROM message_recipients c WHERE c.message_id = p.id AND c.firm_id = p.firm_id AND c.recipient = LOWER(p.recipient))
            """
        ),
    ]

    /// The relations of ``unchecked`` (and on PostgreSQL ``uncheckedOnPostgres``) that have rows without their
    /// parent, each with how many.
    static func orphans(_ store: SQLStore) async throws -> [String] {
        let relations = unchecked + (store.database.dialect == .postgres ? uncheckedOnPostgres : [])
        return try await store.database.read { connection in
            var found: [String] = []
            for (relation, sql) in relations {
                let count = try await connection.query(sql, []).first?.int("n") ?? 0
                if count > 0 { found.append("\(relation): \(count)") }
            }
            return found
        }
    }

    enum Engine: String, Sendable {
        case sqlite
        case postgres
    }
}
