import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// A database that cannot be reached or written answers fast with `.serviceUnavailable` (503) instead of hanging or
/// failing with a driver error, and nothing is half-written.
@Suite struct OutageTests {
    @Test func anUnreachablePostgreSQLAnswersUnavailableWithinTheBoundAndAtOnceAfter() async throws {
        // Nothing listens on port 1: every connection attempt is refused.
        let database = try PostgresDatabase(
            url: "postgres://nobody@127.0.0.1:1/none", unavailableAfter: .milliseconds(500), probeInterval: .seconds(60),
            logger: TestDatabases.logger)
        try await TestDatabases.running(database) { database in
            for attempt in 0..<3 {
                let start = ContinuousClock.now
                let error = await #expect(throws: DomainError.self) { try await SQLStore(database: database).ping() }
                #expect(error?.code == .serviceUnavailable)
                #expect(error?.retryAfter == 2)
                let elapsed = ContinuousClock.now - start
                // Far from the 30 s a driver waits, with room for a loaded machine; the later attempts answer from
                // the outage state (checked below) without trying to connect.
                #expect(elapsed < .seconds(10), "attempt \(attempt) took \(elapsed)")
                if attempt > 0 { #expect(!database.availability.isUp) }
            }
            #expect(database.availability.outages == 1)
        }
    }

    @Test(.enabled(if: TestDatabases.postgresURL != nil))
    func aRequestCancelledBeforeItGetsAConnectionRunsNothingAndEndsCancelled() async throws {
        try await TestDatabases.withPostgres { database in
            let ran = Mutex(false)
            let request = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await database.read { _ in ran.withLock { $0 = true } }
            }
            await #expect(throws: CancellationError.self) { try await request.value }
            #expect(!ran.withLock { $0 })
        }
    }

    @Test(.enabled(if: TestDatabases.postgresURL != nil), .timeLimit(.minutes(1)))
    func aTransactionRunningWhenTheDatabaseIsFoundDownIsRolledBackBeforeItIsAnswered() async throws {
        let url = try #require(TestDatabases.postgresURL)
        let table = "public.outage_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        // A key of its own: other tests' advisory locks (migrations) must not count as this one's waiter.
        let key = Int64.random(in: 1_000_000...Int64(Int32.max))
        // A second session, on one connection, holds the lock the transaction below waits for.
        let holder = try PostgresDatabase(url: url, maximumConnections: 1, logger: TestDatabases.logger)
        // No periodic probe: the database stays marked down until a request's failure asks for one.
        let database = try PostgresDatabase(
            url: url, maximumConnections: 2, unavailableAfter: .milliseconds(300), probeInterval: .seconds(60),
            logger: TestDatabases.logger)
        try await TestDatabases.running(holder) { holder in
            try await TestDatabases.running(database) { database in
                _ = try await holder.transaction { try await $0.query("CREATE TABLE \(table) (n INT)") }
                _ = try await holder.read { try await $0.query("SELECT pg_advisory_lock(\(key))") }
                let request = Task {
                    try await database.transaction { connection in
                        try await connection.query("SELECT pg_advisory_xact_lock(\(key))")
                        try await connection.query("INSERT INTO \(table) VALUES (1)")
                    }
                }
                while try await holder.read({
                    try await $0.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = \(key) AND NOT granted")
                }).first?.int("n") != 1 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                database.availability.markDown("test")
                // Answered while the lock is still held: its connection was closed, not left to commit later.
                let error = await #expect(throws: DomainError.self) { try await request.value }
                #expect(error?.code == .serviceUnavailable)
                // The lock comes back once the closed session's transaction has ended, and it wrote nothing.
                _ = try await holder.read { try await $0.query("SELECT pg_advisory_unlock(\(key))") }
                _ = try await holder.read { try await $0.query("SELECT pg_advisory_lock(\(key)), pg_advisory_unlock(\(key))") }
                let rows = try await holder.read { try await $0.query("SELECT count(*) AS n FROM \(table)") }
                #expect(try rows.first?.int("n") == 0)
                _ = try await holder.transaction { try await $0.query("DROP TABLE \(table)") }
            }
        }
    }

    @Test func aSQLiteWriteWhoseCallerIsCancelledMidwayIsRolledBackAndLeavesTheWriterFree() async throws {
        try await TestDatabases.withSQLite { database in
            _ = try await database.transaction { try await $0.query("CREATE TABLE t (n INTEGER)") }
            let cancelled = Task {
                try await database.transaction { connection in
                    try await connection.query("INSERT INTO t VALUES (1)")
                    withUnsafeCurrentTask { $0?.cancel() }
                    try await connection.query("INSERT INTO t VALUES (2)")
                }
            }
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            // The next writer's BEGIN used to meet the cancelled one's transaction, still open on the connection.
            _ = try await database.transaction { try await $0.query("INSERT INTO t VALUES (3)") }
            let rows = try await database.read { try await $0.query("SELECT n FROM t ORDER BY n") }
            #expect(try rows.map { try $0.int("n") } == [3])
        }
    }

    @Test func aFullSQLiteDiskRefusesWritesWith503KeepsReadsAndWritesNothingHalfway() async throws {
        try await TestDatabases.withSQLite { database in
            let store = SQLStore(database: database)
            try await store.migrate()
            let firm = try await firmWithCredits(store, credits: 10)
            // The one writer connection: SQLite fails any write that needs a page beyond this (SQLITE_FULL).
            let pages = try await database.transaction { try await $0.query("PRAGMA page_count") }.first?.int("page_count") ?? 0
            _ = try await database.transaction { try await $0.query("PRAGMA max_page_count = \(pages)") }
            let error = await #expect(throws: DomainError.self) { _ = try await smsBlast(store, firm: firm, count: 2_000) }
            #expect(error?.code == .serviceUnavailable)
            #expect(error?.retryAfter == 5)
            #expect(try await store.firm(id: firm.id)?.slug == "acme")
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits(whole: 10))
            let written = try await store.firstPageMessages(firmID: firm.id, filter: MessageFilter(channel: .sms), limit: 10, startingAfter: nil)
            #expect(written.isEmpty)
            _ = try await database.transaction { try await $0.query("PRAGMA max_page_count = 1073741823") }
            #expect(try await smsBlast(store, firm: firm, count: 2_000).count == 2_000)
        }
    }
}
