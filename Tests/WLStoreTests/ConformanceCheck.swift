import Testing
import WLPorts
import WLStore

/// One behaviour every ``Store`` must have, written once as a function of a store.
///
/// ``StoreConformanceTests`` runs every check against SQLite and against PostgreSQL, each on a fresh database.
struct ConformanceCheck: Sendable, CustomTestStringConvertible {
    let name: String
    let body: @Sendable (SQLStore) async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (SQLStore) async throws -> Void) {
        self.name = name
        self.body = body
    }

    var testDescription: String { name }

    /// Every check, in every group.
    static let all: [ConformanceCheck] =
        migrations + firms + keys + credits + contacts + messages + decidedClaims + batches + webhooks + webhookQueue + payments + email
        + idempotency + ledgerModel + secrets + housekeeping + earlyReports + queueLevels + optOuts + clients + privacy + lowBalance + console
}
