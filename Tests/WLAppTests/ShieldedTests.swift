import Synchronization
import Testing
import WLServices

/// A shielded write runs to its end out of its caller's cancellation, and a cancelled caller waits for it a bounded time.
@Suite(.timeLimit(.minutes(1))) struct ShieldedTests {
    @Test func aCancelledCallerStillHasTheWriteDoneWhenItEndsWithinThePatience() async throws {
        let gate = AsyncStream.makeStream(of: Void.self)
        let done = Mutex(false)
        let caller = Task {
            try await shielded(patience: .seconds(30)) {
                for await _ in gate.stream { break }
                // Out of the caller's cancellation: a write here would still run.
                done.withLock { $0 = !Task.isCancelled }
                return 7
            }
        }
        caller.cancel()
        gate.continuation.yield()
        #expect(try await caller.value == 7)
        #expect(done.withLock { $0 })
    }

    @Test func aCancelledCallerGivesUpOnAStuckWriteAfterThePatienceAndTheWriteRunsOn() async throws {
        let gate = AsyncStream.makeStream(of: Void.self)
        let done = Mutex(false)
        let caller = Task {
            try await shielded(patience: .milliseconds(50)) {
                for await _ in gate.stream { break }
                done.withLock { $0 = true }
                return 7
            }
        }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(!done.withLock { $0 })
        gate.continuation.yield()
        while !done.withLock({ $0 }) { await Task.yield() }
    }
}
