import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLServices

/// A housekeeping store whose every batch finds little (a short batch) and takes `stepSeconds` of the clock, and
/// which grants the lease only the first time it is asked.
final class SlowStepsStore: HousekeepingStore {
    let time: ManualTime
    let stepSeconds: TimeInterval
    let batches = Atomic(0)
    let holds = Atomic(0)

    init(time: ManualTime, stepSeconds: TimeInterval) {
        self.time = time
        self.stepSeconds = stepSeconds
    }

    private func step() -> Int {
        batches.add(1, ordering: .relaxed)
        time.set(time.now.addingTimeInterval(stepSeconds))
        return 0
    }

    func holdLease(_ name: String, owner: String, until: Date, now: Date) async throws -> Bool {
        holds.add(1, ordering: .relaxed).newValue == 1
    }
    func releaseLease(_ name: String, owner: String) async throws {}
    /// The database's clock this far ahead of the test's, or none.
    let clockAhead = Mutex<TimeInterval?>(nil)
    func databaseClock(local: @escaping @Sendable () -> Date) async throws -> (database: Date, local: Date)? {
        clockAhead.withLock { $0 }.map { (local().addingTimeInterval($0), local()) }
    }
    func deleteIdempotencyKeys(createdBefore cutoff: Date, limit: Int) async throws -> Int { step() }
    func deleteEndedSessions(now: Date, idleCutoff: Date, limit: Int) async throws -> Int { step() }
    func deleteExpiredInvitations(now: Date, limit: Int) async throws -> Int { step() }
    func deleteAuditEntries(before cutoff: Date, limit: Int) async throws -> Int { step() }
    func deleteIdleRateLimits(now: Int64, limit: Int) async throws -> Int { step() }
    func deleteMessages(createdBefore cutoff: Date, limit: Int) async throws -> Int { step() }
    func deleteWebhookDeliveries(createdBefore cutoff: Date, limit: Int) async throws -> Int { step() }
    func deleteMessageEvents(occurredBefore cutoff: Date, limit: Int) async throws -> Int { step() }
    func expireMessages(acceptedBefore cutoff: Date, limit: Int, now: Date) async throws -> [Message] {
        _ = step()
        return []
    }
    func applyEarlyReports(limit: Int, now: Date) async throws -> Int { step() }
    func deleteEarlyReports(receivedBefore cutoff: Date, limit: Int) async throws -> Int { step() }
    func redactMessageBodies(createdBefore cutoff: Date, limit: Int) async throws -> Int { step() }
    func redactBlastTexts(createdBefore cutoff: Date, limit: Int) async throws -> Int { step() }
}

@Suite struct HousekeeperLeaseTests {
    @Test func aPassOfManyShortStepsStopsOnceItsLeaseIsLost() async throws {
        let time = ManualTime(Date(timeIntervalSince1970: 1_800_000_000))
        // The lease is 180 s and is renewed a third of it (60 s) after the last renewal: the fourth step's batch would
        // start 75 s in, so the pass asks for the lease first, is refused, and stops.
        let store = SlowStepsStore(time: time, stepSeconds: 25)
        let housekeeper = Housekeeper(store: store, time: time, logger: Logger(label: "test"))
        #expect(try await housekeeper.runOnce() != nil)
        #expect(store.holds.load(ordering: .relaxed) == 2)
        #expect(store.batches.load(ordering: .relaxed) == 3)
    }

    @Test func aClockThatDiffersFromTheDatabasesBySecondsIsLoggedAsAnError() async throws {
        let time = ManualTime(Date(timeIntervalSince1970: 1_800_000_000))
        let store = SlowStepsStore(time: time, stepSeconds: 0)
        let capture = LogCapture()
        let housekeeper = Housekeeper(store: store, time: time, logger: capture.logger())
        #expect(try await housekeeper.checkClock() == nil)
        for ahead in [1.5, -1.5, 2.5, -30] {
            store.clockAhead.withLock { $0 = ahead }
            #expect(try await housekeeper.checkClock() == ahead)
        }
        let errors = capture.all.filter { $0.hasPrefix("error this machine's clock differs from the database's") }
        #expect(errors.count == 2)
        #expect(errors.last?.contains("skew_seconds=-30.0") == true)
    }
}
