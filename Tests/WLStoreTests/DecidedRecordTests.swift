import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// On SQLite, send outcomes that move no credits are read and decided before the writer is taken, then written only
/// where each message still holds what was read: a message that changed in between makes the whole write roll back,
/// and the outcomes are recorded again the usual way.
@Suite struct DecidedRecordTests {
    static let delivered = DeliveryReport(status: .delivered, response: "Success", network: "Safaricom")

    @Test func outcomesWithoutCreditMovesAreDecidedBeforeTheWriterAndRecordedWithTheirEvents() async throws {
        try await Self.withChargedMessages(count: 3) { store, firm, ids in
            let outcomes = ids.map { ($0, DispatchOutcome.submitted(providerMessageID: "P-\($0)", report: Self.delivered)) }
            let recorded = try #require(try await store.recordDecidedFirst(outcomes, leaseOwner: "w", now: checkTime))
            #expect(recorded.map(\.id) == ids)
            #expect(recorded.allSatisfy { $0.status == .delivered && $0.stage == .done })
            for id in ids {
                #expect(try await store.message(firmID: firm.id, id: id)?.status == .delivered)
                #expect(try await store.events(firmID: firm.id, messageID: id).map(\.status) == [.processing, .delivered])
            }
        }
    }

    @Test func outcomesThatMayMoveCreditsAreLeftToTheWritersTransaction() async throws {
        try await Self.withChargedMessages(count: 2) { store, firm, ids in
            let refunds = ids.map { ($0, DispatchOutcome.fail(response: "Rejected", refund: true)) }
            #expect(try await store.recordDecidedFirst(refunds, leaseOwner: "w", now: checkTime) == nil)
            #expect(try await store.message(firmID: firm.id, id: ids[0])?.status == .processing, "nothing written")
            let recorded = try await store.record(refunds, leaseOwner: "w", now: checkTime)
            #expect(recorded.map(\.status) == [.failed, .failed])
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 10))
        }
    }

    @Test func aMessageThatChangedAfterTheReadRollsTheWholeWriteBack() async throws {
        try await Self.withChargedMessages(count: 2) { store, firm, ids in
            let outcomes = ids.map { ($0, DispatchOutcome.submitted(providerMessageID: "P-\($0)", report: Self.delivered)) }
            // Between the read and the write, another worker takes the second message (its lease had ended).
            try await Self.expectFencedWriteRollsBack(store, outcomes, after: "UPDATE messages SET lease_owner = 'other' WHERE id = \(ids[1])")
            for id in ids {
                #expect(try await store.message(firmID: firm.id, id: id)?.status == .processing, "message \(id) untouched")
                #expect(try await store.events(firmID: firm.id, messageID: id).map(\.status) == [.processing])
            }
            // Recorded through the public call, the first is recorded and the second, no longer ours, dropped.
            let recorded = try await store.record(outcomes, leaseOwner: "w", now: checkTime)
            #expect(recorded.map(\.id) == [ids[0]])
            #expect(try await store.message(firmID: firm.id, id: ids[1])?.status == .processing)
        }
    }

    @Test func aReportAppliedAfterTheReadAlsoRollsTheWriteBack() async throws {
        try await Self.withChargedMessages(count: 1) { store, _, ids in
            let outcomes = ids.map { ($0, DispatchOutcome.retry(at: checkTime.addingTimeInterval(60), response: "Busy")) }
            // Its event sequence moves (as a status change would move it); owner and stage stay.
            try await Self.expectFencedWriteRollsBack(
                store, outcomes, after: "UPDATE messages SET event_sequence = event_sequence + 1 WHERE id = \(ids[0])")
            #expect(try await store.database.read { try await $0.query("SELECT attempts FROM messages", []).first?.int("attempts") } == 0)
        }
    }

    /// Reads and decides `outcomes` for worker "w", runs `change` in a transaction of its own, then expects the
    /// fenced write of the decision to throw ``SQLStore/RowsMoved``.
    static func expectFencedWriteRollsBack(
        _ store: SQLStore, _ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], after change: String
    ) async throws {
        let states = try await store.database.read { try await SQLStore.lockedMessages(ids: outcomes.map(\.messageID), dialect: .sqlite, on: $0) }
        let decided = try #require(SQLStore.decide(outcomes, states: states, leaseOwner: "w", now: checkTime))
        _ = try await store.database.transaction { try await $0.query(change, []) }
        await #expect(throws: SQLStore.RowsMoved.self) {
            try await store.write { try await SQLStore.writeFenced(decided, leaseOwner: "w", on: $0, now: checkTime) }
        }
    }

    /// Runs `body` with a new, migrated SQLite store holding a firm with 10 credits and `count` SMS (their ids) claimed
    /// and charged by worker "w".
    static func withChargedMessages(count: Int, _ body: @Sendable (SQLStore, Firm, [Int64]) async throws -> Void) async throws {
        try await TestDatabases.withSQLite { database in
            let store = SQLStore(database: database)
            try await store.migrate()
            let firm = try await firmWithCredits(store, credits: 10)
            let ids = try await smsBlast(store, firm: firm, count: count).map(\.id)
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime) { batch in
                batch.messages.map { ($0.id, .charge) }
            }
            try await body(store, firm, ids)
        }
    }
}
