import Synchronization
import Testing
import WLServices

/// A shielded write runs to its end out of its caller's cancellation, and a cancelled caller waits for it a bounded time.
@Suite(.timeLimit(.minutes(1))) struct ShieldedTests {
    /// A write that waits for `open()`, then records whether it ran out of its caller's cancellation, and answers 7.
    final class GatedWrite: Sendable {
        private let gate = AsyncStream.makeStream(of: Void.self)
        private let done = Mutex(false)

        /// Whether the write ran to its end, not cancelled.
        var isDone: Bool { done.withLock { $0 } }

        /// A caller, cancelled at once, that writes through `shielded(patience:)`.
        func cancelledCaller(patience: Duration) -> Task<Int, any Error> {
            let caller = Task {
                try await shielded(patience: patience) {
                    for await _ in self.gate.stream { break }
                    self.done.withLock { $0 = !Task.isCancelled }
                    return 7
                }
            }
            caller.cancel()
            return caller
        }

        func open() { gate.continuation.yield() }
    }

    @Test func aCancelledCallerStillHasTheWriteDoneWhenItEndsWithinThePatience() async throws {
        let write = GatedWrite()
        let caller = write.cancelledCaller(patience: .seconds(30))
        write.open()
        #expect(try await caller.value == 7)
        #expect(write.isDone)
    }

    @Test func aCancelledCallerGivesUpOnAStuckWriteAfterThePatienceAndTheWriteRunsOn() async throws {
        let write = GatedWrite()
        let caller = write.cancelledCaller(patience: .milliseconds(50))
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(!write.isDone)
        write.open()
        while !write.isDone { await Task.yield() }
    }
}
