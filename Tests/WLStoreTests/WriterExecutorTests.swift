import Testing

@testable import WLStore

/// SQLite's write transactions run their Swift code on the writer connection's own thread, before, between and after
/// their statements; reads stay on the cooperative threads.
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
}
