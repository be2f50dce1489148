import Synchronization
import Testing
import WLServices

/// A shielded write runs to its end out of its caller's cancellation, and a cancelled caller waits for it a bounded time.
@Suite(.timeLimit(.minutes(1))) struct ShieldedTests {
    /// A write that waits for `open()`, then records whether it ran out of its caller's cancellation, and answers 7.
    final class GatedWrite: Sendable {
        private let gate = AsyncStream.makeStream(of: Void.self)
        /// Whether the write began, and, once it ended, whether it was cancelled.
        private let state = Mutex<(started: Bool, endedCancelled: Bool?)>((false, nil))

        var hasStarted: Bool { state.withLock { $0.started } }
        /// Nil while the write runs; then whether it saw its task cancelled.
        var endedCancelled: Bool? { state.withLock { $0.endedCancelled } }

        /// A caller, cancelled at once, that writes through `shielded(patience:)`.
        func cancelledCaller(patience: Duration) -> Task<Int, any Error> {
            let caller = Task {
                try await shielded(patience: patience) {
                    self.state.withLock { $0.started = true }
                    for await _ in self.gate.stream { break }
                    self.state.withLock { $0.endedCancelled = Task.isCancelled }
                    return 7
                }
            }
            caller.cancel()
            return caller
        }

        func open() { gate.continuation.yield() }

        /// Waits, 10 s at most, until `condition` holds.
        func waitUntil(_ condition: () -> Bool) async throws {
            for _ in 0..<2_000 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func aCancelledCallerStillHasTheWriteDoneWhenItEndsWithinThePatience() async throws {
        let write = GatedWrite()
        let caller = write.cancelledCaller(patience: .seconds(30))
        write.open()
        #expect(try await caller.value == 7)
        #expect(write.endedCancelled == false)
    }

    @Test func aCancelledCallerGivesUpOnAStuckWriteAfterThePatienceAndTheWriteRunsOn() async throws {
        let write = GatedWrite()
        let caller = write.cancelledCaller(patience: .milliseconds(50))
        await #expect(throws: CancellationError.self) { try await caller.value }
        try await write.waitUntil { write.hasStarted }
        #expect(write.hasStarted)
        write.open()
        try await write.waitUntil { write.endedCancelled != nil }
        // It ran on after its caller gave up, and was not cancelled with it.
        #expect(write.endedCancelled == false)
    }
}
