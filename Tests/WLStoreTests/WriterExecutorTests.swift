import Testing

@testable import WLStore

/// SQLite's write transactions run their Swift code on the writer connection's own thread, before, between and after
/// their statements; reads stay on the cooperative threads. The writer's settings.
@Suite struct WriterExecutorTests {
    @Test func aWriteTransactionRunsOnTheWriterThreadBetweenItsStatements() async throws {
        try await TestDatabases.withSQLite { database in
            let placed = try await database.transaction { connection in
                let before = WriterExecutor.isCurrent
                _ = try await connection.query("SELECT 1", [])
                let between = WriterExecutor.isCurrent
                _ = try await connection.query("SELECT 2", [])
                return [before, between, WriterExecutor.isCurrent]
            }
            #expect(placed == [true, true, true])
            #expect(!WriterExecutor.isCurrent)
            let read = try await database.read { connection in
                _ = try await connection.query("SELECT 1", [])
                return WriterExecutor.isCurrent
            }
            #expect(!read)
        }
    }

    /// The writer keeps its statement journals in memory (`temp_store=MEMORY`, 2) rather than pwriting them to a
    /// temporary file inside every multi-row INSERT, and commits in WAL mode with `synchronous=NORMAL` (1).
    @Test func theWriterJournalsStatementsInMemory() async throws {
        try await TestDatabases.withSQLite { database in
            let settings = try await database.transaction { connection in
                var found: [Int64] = []
                for pragma in ["temp_store", "synchronous"] {
                    found.append(try await connection.query("PRAGMA \(pragma)", []).first?.int(pragma) ?? -1)
                }
                let mode = try await connection.query("PRAGMA journal_mode", []).first?.text("journal_mode")
                return (found, mode)
            }
            #expect(settings.0 == [2, 1])
            #expect(settings.1 == "wal")
        }
    }
}
