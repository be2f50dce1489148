import Testing
import WLDomain

@testable import WLStore

/// The line for connections: cancelled callers leave it, and a drained pool answers 503 instead of a wait for ever.
@Suite(.timeLimit(.minutes(1))) struct ConnectionPoolTests {
    @Test func aCallerCancelledInLineLeavesItAndTheNextGetsTheConnection() async throws {
        let pool = ConnectionPool(["only"])
        let held = try await pool.lease()
        let cancelled = Task { try await pool.lease() }
        let next = Task { try await pool.lease() }
        while await pool.waiting < 2 { await Task.yield() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        await pool.release(held)
        #expect(try await next.value == "only")
        #expect(await pool.waiting == 0)
    }

    @Test func aDrainedPoolAnswersUnavailableToWhoeverWaitsAndComesLater() async throws {
        let pool = ConnectionPool(["only"])
        let held = try await pool.lease()
        let draining = Task { try await pool.drain(count: 1) }
        while await pool.waiting < 1 { await Task.yield() }
        let stranded = Task { try await pool.lease() }
        while await pool.waiting < 2 { await Task.yield() }
        await pool.release(held)
        #expect(try await draining.value == ["only"])
        for caller in [stranded, Task { try await pool.lease() }] {
            let error = await #expect(throws: DomainError.self) { try await caller.value }
            #expect(error?.code == .serviceUnavailable)
        }
    }
}
