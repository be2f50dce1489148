import Foundation
import WLDomain
import WLPorts

extension MessageStore {
    /// Charges the queued messages of a claim in one transaction (`outcome` says what to record for each: a charge
    /// unless told otherwise; a message its firm cannot pay for fails there, costing nothing) and returns those to
    /// send now: the ones charged here and the charged ones taken back from a crashed worker.
    func charge(
        _ claimed: [Message], leaseOwner: String, now: Date, outcome: (Message) -> DispatchOutcome = { _ in .charge }
    ) async throws -> [Message] {
        let queued = claimed.filter { $0.stage == .queued }.map { (messageID: $0.id, outcome: outcome($0)) }
        let charged = try await record(queued, leaseOwner: leaseOwner, now: now).filter { $0.stage == .charged }
        return claimed.filter { $0.stage == .charged } + charged
    }
}

extension MessageStore {
    /// Records what a provider or relay answered, retrying while the database is unavailable for up to `patience`
    /// seconds (the lease: after it another worker may take the messages and send them again). An answer that is
    /// sent but never recorded would be sent twice, so it is worth waiting for the database here.
    func recordOutcomes(
        _ outcomes: [(messageID: Int64, outcome: DispatchOutcome)], leaseOwner: String, now: Date, patience: TimeInterval
    ) async throws -> [Message] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(patience * 1_000))
        var pause = Duration.milliseconds(250)
        while true {
            do {
                return try await record(outcomes, leaseOwner: leaseOwner, now: now)
            } catch  where error.isDatabaseUnavailable && ContinuousClock.now + pause < deadline {
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}

extension [Message] {
    /// For each batch of outcomes recorded together, how many were dropped: those whose message is not among these
    /// (the changed ones), because its lease had passed to another worker.
    func dropped(from batches: [[(messageID: Int64, outcome: DispatchOutcome)]]) -> [Int] {
        let recorded = Set(map(\.id))
        return batches.map { batch in batch.count(where: { !recorded.contains($0.messageID) }) }
    }
}
