import Testing
import WLServices

/// The webhook deliverer makes way for the SMS dispatcher only while it works through a backlog at full speed, and
/// never for longer than its patience.
@Suite struct DispatchBacklogTests {
    @Test func aBacklogLastsFromAFullClaimAtTheCeilingUntilTheRoundsThatClaimedItEnd() {
        let backlog = DispatchBacklog(patience: .seconds(1))
        #expect(!backlog.isBusy)
        #expect(backlog.note(claimed: 2_000, limit: 2_000, ceiling: 2_000))
        #expect(backlog.isBusy)
        #expect(backlog.note(claimed: 1_999, limit: 2_000, ceiling: 2_000), "the short round after a full one is the backlog's tail")
        #expect(backlog.isBusy, "both rounds still send and record")
        backlog.roundEnded()
        #expect(backlog.isBusy)
        backlog.roundEnded()
        #expect(!backlog.isBusy)
    }

    @Test func roundsAfterTheBacklogsTailAreNotPartOfIt() {
        // Steady traffic after a blast: its small claims must not keep webhooks waiting.
        let backlog = DispatchBacklog(patience: .seconds(1))
        backlog.note(claimed: 2_000, limit: 2_000, ceiling: 2_000)
        backlog.note(claimed: 5, limit: 2_000, ceiling: 2_000)
        #expect(!backlog.note(claimed: 3, limit: 2_000, ceiling: 2_000))
        backlog.roundEnded()
        backlog.roundEnded()
        #expect(!backlog.isBusy)
    }

    @Test func anEmptyClaimLeavesOnlyTheRoundsInFlight() {
        let backlog = DispatchBacklog(patience: .seconds(1))
        backlog.note(claimed: 2_000, limit: 2_000, ceiling: 2_000)
        #expect(!backlog.note(claimed: 0, limit: 2_000, ceiling: 2_000))
        #expect(backlog.isBusy)
        backlog.roundEnded()
        #expect(!backlog.isBusy)
    }

    @Test func aFullClaimBelowTheCeilingIsASlowProviderNotABacklog() {
        // Africa's Talking at 120 ms keeps the claim at its floor: its batches are full for as long as the queue
        // lasts, and holding webhooks back for that would starve them.
        let backlog = DispatchBacklog(patience: .seconds(1))
        #expect(!backlog.note(claimed: 200, limit: 200, ceiling: 2_000))
        #expect(!backlog.isBusy)
    }

    @Test func withoutABacklogNothingWaits() async {
        let backlog = DispatchBacklog(patience: .seconds(60))
        let started = ContinuousClock.now
        #expect(await backlog.yield() == false)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func theWaitEndsWhenTheBacklogDoes() async throws {
        let (backlog, waiting, started) = try await Self.waitingOnABacklog()
        backlog.note(claimed: 10, limit: 2_000, ceiling: 2_000)
        backlog.roundEnded()
        #expect(backlog.isHoldingBack, "the short round still sends and records")
        backlog.roundEnded()
        #expect(await waiting.value == true)
        #expect(ContinuousClock.now - started < .seconds(30), "woken by the last round's end, not by its patience")
    }

    @Test func theWaitEndsAfterItsPatienceWhileTheBacklogLasts() async {
        let backlog = DispatchBacklog(patience: .milliseconds(50))
        backlog.note(claimed: 2_000, limit: 2_000, ceiling: 2_000)
        let started = ContinuousClock.now
        #expect(await backlog.yield() == true)
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        #expect(backlog.isBusy)
    }

    @Test func cancellationEndsTheWait() async throws {
        let (backlog, waiting, started) = try await Self.waitingOnABacklog()
        waiting.cancel()
        _ = await waiting.value
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(!backlog.isHoldingBack)
    }

    /// A backlog with a minute's patience and a task already waiting on it, and when the wait began.
    static func waitingOnABacklog() async throws -> (DispatchBacklog, Task<Bool, Never>, ContinuousClock.Instant) {
        let backlog = DispatchBacklog(patience: .seconds(60))
        backlog.note(claimed: 2_000, limit: 2_000, ceiling: 2_000)
        let started = ContinuousClock.now
        let waiting = Task { await backlog.yield() }
        try await until { backlog.isHoldingBack }
        return (backlog, waiting, started)
    }

    /// Waits (at most ten seconds) until `condition` holds.
    static func until(_ condition: () -> Bool) async throws {
        for _ in 0..<2_000 where !condition() {
            try await Task.sleep(for: .milliseconds(5))
        }
        try #require(condition())
    }
}
