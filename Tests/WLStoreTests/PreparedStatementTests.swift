import Foundation
import Testing
import WLPorts

import struct PostgresNIO.PSQLError

@testable import WLStore

/// PostgreSQL runs a statement prepared once it has succeeded, within a bounded number of texts, and falls back to
/// running it unnamed on a connection where its preparation failed.
@Suite(.enabled(if: TestDatabases.postgresURL != nil, "no PostgreSQL: set WLCOMM_TEST_POSTGRES_URL"))
struct PreparedStatementTests {
    /// A one-connection database with its own statement names, so every statement meets the same connection.
    func withDatabase(limit: Int, _ body: @Sendable (PostgresDatabase, PostgresStatementNames) async throws -> Void) async throws {
        let url = try #require(TestDatabases.postgresURL)
        let names = PostgresStatementNames(limit: limit)
        let database = try PostgresDatabase(
            url: url, schema: nil, maximumConnections: 1, unavailableAfter: .seconds(5), probeInterval: .milliseconds(250), statementNames: names,
            logger: TestDatabases.logger)
        try await TestDatabases.running(database) { try await body($0, names) }
    }

    @Test func aStatementIsNamedAfterItsSecondSuccessAndAnswersTheSameWhenPrepared() async throws {
        try await withDatabase(limit: 512) { database, names in
            let sql = "SELECT $1::bigint + 1 AS n, $2::text AS t"
            for value in Int64(1)...4 {
                let rows = try await database.read { try await $0.query(sql, [.int(value), .text("v\(value)")]) }
                #expect(try rows.map { try $0.int("n") } == [value + 1])
                #expect(try rows.map { try $0.text("t") } == ["v\(value)"])
                #expect(names.count == (value >= 2 ? 1 : 0))
            }
            // A NULL where a value was makes another statement (its parameter's type differs).
            for _ in 0..<2 {
                let rows = try await database.read { try await $0.query(sql, [.int(7), .null]) }
                #expect(try rows.map { try $0.optionalText("t") } == [nil])
            }
            // A statement that fails is never named.
            for _ in 0..<2 {
                let error = await #expect(throws: PSQLError.self) { try await database.read { try await $0.query("SELECT 1 FROM no_such_table") } }
                #expect(error?.serverInfo?[.sqlState] == "42P01", "undefined table")
            }
            #expect(names.count == 2)
            // One that runs once is not either.
            _ = try await database.read { try await $0.query("SELECT 42 AS n") }
            #expect(names.count == 2)
        }
    }

    @Test func namesAreBoundedAndNoneWithALimitOfZero() async throws {
        try await withDatabase(limit: 2) { database, names in
            for value in 1...3 {
                for _ in 0..<2 {
                    let rows = try await database.read { try await $0.query("SELECT \(value) + $1::bigint AS n", [.int(10)]) }
                    #expect(try rows.map { try $0.int("n") } == [Int64(10 + value)])
                }
            }
            #expect(names.count == 2)
        }
        try await withDatabase(limit: 0) { database, names in
            for _ in 0..<3 { _ = try await database.read { try await $0.query("SELECT $1::bigint AS n", [.int(1)]) } }
            #expect(names.count == 0)
        }
    }

    @Test func aPreparationThatFailedRunsUnnamedOnThatConnectionFromThenOn() async throws {
        try await withDatabase(limit: 512) { database, names in
            let sql = "SELECT $1::bigint * 2 AS n"
            for value in Int64(1)...2 { _ = try await database.read { try await $0.query(sql, [.int(value)]) } }
            #expect(names.count == 1)
            // Named but not yet prepared on the connection: its first preparation meets an aborted transaction, and
            // PostgresNIO keeps that failure for the name on this connection.
            let error = await #expect(throws: PSQLError.self) {
                try await database.transaction { connection in
                    _ = try? await connection.query("SELECT 1 / 0 AS n")
                    try await connection.query(sql, [.int(2)])
                }
            }
            #expect(error?.serverInfo?[.sqlState] == "25P02", "current transaction is aborted")
            for value in Int64(3)...5 {
                let rows = try await database.read { try await $0.query(sql, [.int(value)]) }
                #expect(try rows.map { try $0.int("n") } == [value * 2])
            }
        }
    }
}
