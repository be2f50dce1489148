import Foundation
import WLDomain

/// Recording send outcomes on SQLite with the decision made before the writer is taken.
///
/// SQLite has one writer, and during a blast's dispatch it is held nearly all the time; a record transaction spent
/// about two fifths of its time not in SQL but reading its messages back, deciding and building the rows to write. So
/// when no outcome moves credits (a batch's sends that were accepted or are to be retried), the messages are read on
/// a reader connection and decided there, and the writer only runs the prepared writes, fenced: each message's row is
/// written only if it still has the stage, event sequence and attempts it was read with and is leased to the same
/// owner. If any is not, the transaction is rolled back and the outcomes are recorded the usual way, read and decided
/// inside the writer's transaction.
extension SQLStore {
    /// ``messageChanges`` with what each row must still hold: its stage, event sequence and attempts when read.
    static let fencedMessageChanges = SQLSet(messageChanges.columns + [("read_stage", .text), ("read_sequence", .int), ("read_attempts", .int)])

    /// A batch's outcomes decided outside the writer: the rows to write and what the caller gets back.
    struct DecidedRecord: Sendable {
        var applied: [Message]
        /// ``fencedMessageChanges`` rows of every message an outcome applies to.
        var messages: SQLValue
        var messageCount: Int
        /// ``eventRows`` rows, if any event was decided.
        var events: SQLValue?
    }

    /// A message changed between the read and the fenced write.
    struct RowsMoved: Error {}

    /// Records `outcomes` decided before the writer is taken (SQLite only).
    /// - Returns: The messages as recorded, or `nil` when the outcomes must be recorded inside the writer's transaction:
    ///   one may move credits, or a message changed after it was read.
    func recordDecidedFirst(_ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], leaseOwner: String, now: Date) async throws -> [Message]? {
        guard database.dialect == .sqlite, !outcomes.contains(where: \.outcome.movesCredits) else { return nil }
        let states = try await database.read { connection in
            try await Self.lockedMessages(ids: outcomes.map(\.messageID), dialect: .sqlite, on: connection)
        }
        guard let decided = Self.decide(outcomes, states: states, leaseOwner: leaseOwner, now: now) else { return nil }
        do {
            return try await write(outbox: true) { connection in
                try await Self.writeFenced(decided, leaseOwner: leaseOwner, on: connection, now: now)
                return try await Self.applyEarlyReports(to: decided.applied, dialect: .sqlite, on: connection, now: now)
            }
        } catch is RowsMoved {
            return nil
        }
    }

    /// Applies `outcomes` in order to the messages in `states` leased to `leaseOwner`, with ``DispatchRules``.
    /// - Returns: What to write, or `nil` if a decision moves credits (their balances were not read).
    static func decide(
        _ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], states: [Int64: DispatchState], leaseOwner: String, now: Date
    ) -> DecidedRecord? {
        var current = states
        var effects = DispatchEffects()
        var applied: [Message] = []
        for (id, outcome) in outcomes {
            guard var state = current[id], state.leaseOwner == leaseOwner else { continue }
            DispatchRules.apply(outcome, to: &state, effects: &effects, now: now)
            current[id] = state
            applied.append(state.message)
        }
        guard effects.credits.isEmpty, effects.blockedSenders.isEmpty else { return nil }
        let written = Set(applied.map(\.id)).sorted().compactMap { id -> [SQLValue]? in
            guard let read = states[id], let state = current[id] else { return nil }
            return state.columnValues + [.text(read.message.stage.rawValue), .int(Int64(read.eventSequence)), .int(Int64(read.message.attempts))]
        }
        return DecidedRecord(
            applied: applied, messages: fencedMessageChanges.parameter(written), messageCount: written.count,
            events: effects.events.isEmpty ? nil : eventParameter(effects.events))
    }

    /// Writes a decided record; throws ``RowsMoved`` if any of its messages no longer holds what it was read with.
    static func writeFenced(_ decided: DecidedRecord, leaseOwner: String, on connection: any SQLConnection, now: Date) async throws {
        guard decided.messageCount > 0 else { return }
        let source = fencedMessageChanges.source(.sqlite, parameter: 2)
        try await connection.query(
            """
            UPDATE messages SET \(messageAssignments), updated_at = $1 FROM \(source)
            WHERE messages.id = v.id AND messages.lease_owner = $3 AND messages.stage = v.read_stage
            AND messages.event_sequence = v.read_sequence AND messages.attempts = v.read_attempts
            """, [.time(now), decided.messages, .text(leaseOwner)])
        let written = try await connection.query("SELECT changes() AS n", []).first?.int("n") ?? 0
        guard written == decided.messageCount else { throw RowsMoved() }
        if let events = decided.events { try await insertEventsAndDeliveries(events, on: connection, now: now) }
    }
}
