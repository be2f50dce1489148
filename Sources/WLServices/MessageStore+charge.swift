import Foundation
import WLDomain
import WLStore

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
