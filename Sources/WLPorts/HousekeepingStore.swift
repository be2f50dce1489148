public import Foundation
public import WLDomain

/// The response of a message expired while it waited for its delivery report.
public let expiredResponse = "Expired"

/// Retention and expiry, run by one instance at a time under a leader lease.
///
/// Every deletion takes at most `limit` rows of the table it is named after (and their dependent rows) in one short
/// transaction and returns how many it took, so a caller repeats it while it returns `limit`. Which eligible rows a
/// call takes first is not set (the oldest need not go first): repeated, every one goes. Nothing here touches
/// the credit ledger, payments or their events: they are money, and kept for good.
public protocol HousekeepingStore: Sendable {
    /// Takes the lease called `name` for `owner` until `until`, or renews it, in one statement: it succeeds when the
    /// lease is free, has run out by `now`, or is already `owner`'s.
    /// - Returns: Whether `owner` holds the lease now.
    func holdLease(_ name: String, owner: String, until: Date, now: Date) async throws -> Bool
    /// Gives the lease up, if `owner` holds it, so another instance can take it at once.
    func releaseLease(_ name: String, owner: String) async throws
    /// The database server's clock, when it keeps one apart from this process (PostgreSQL, possibly on another
    /// machine), and `local`'s time halfway through the query that read it (not counting a wait for a connection);
    /// `nil` when the database is a file this process opens (SQLite: the same clock).
    func databaseClock(local: @escaping @Sendable () -> Date) async throws -> (database: Date, local: Date)?

    /// Deletes stored `Idempotency-Key` responses created before `cutoff`.
    func deleteIdempotencyKeys(createdBefore cutoff: Date, limit: Int) async throws -> Int
    /// Deletes console sessions that ended (past their absolute end) before `now`, or were last used before
    /// `idleCutoff`.
    func deleteEndedSessions(now: Date, idleCutoff: Date, limit: Int) async throws -> Int
    /// Deletes invited users who never chose a password and whose invitation ended before `now`.
    func deleteExpiredInvitations(now: Date, limit: Int) async throws -> Int
    /// Deletes audit log lines written before `cutoff`.
    func deleteAuditEntries(before cutoff: Date, limit: Int) async throws -> Int
    /// Deletes rate-limit rows whose theoretical arrival time (epoch microseconds) is at or before `now`: such a key
    /// has its whole quota back, exactly as if it had never been seen.
    func deleteIdleRateLimits(now: Int64, limit: Int) async throws -> Int
    /// Deletes final (delivered or failed) messages created before `cutoff`, with their events, webhook deliveries
    /// and attempts, and then their blasts once no message of theirs is left. Ledger rows keep the message's id. A
    /// message with a delivery pending and due at or after `cutoff` (a redelivery asked for lately, a retry under way,
    /// a status change not yet POSTed) stays until that delivery is done; one whose pending delivery was due before
    /// `cutoff` (its endpoint disabled since) goes with it, so a disabled endpoint holds a message at most one
    /// retention period past its delivery's due time.
    /// - Returns: How many messages it deleted.
    func deleteMessages(createdBefore cutoff: Date, limit: Int) async throws -> Int
    /// Deletes webhook deliveries (message and payment ones) created before `cutoff` that are no longer pending, with
    /// their attempts. A pending delivery (its endpoint is disabled and may be set again) is kept.
    /// - Returns: How many deliveries it deleted.
    func deleteWebhookDeliveries(createdBefore cutoff: Date, limit: Int) async throws -> Int
    /// Deletes events of final messages that occurred before `cutoff`, with their deliveries and attempts, except
    /// events whose delivery is still pending.
    /// - Returns: How many events it deleted.
    func deleteMessageEvents(occurredBefore cutoff: Date, limit: Int) async throws -> Int
    /// Fails messages still `processing` that the provider accepted before `cutoff` and that have not changed since:
    /// their delivery report is not coming. Each moves to failed with response ``expiredResponse`` and its event
    /// and webhook delivery, in one transaction per call, like any other status change; credits are not refunded
    /// (the provider accepted the message and charged for it).
    /// - Returns: The messages it failed.
    func expireMessages(acceptedBefore cutoff: Date, limit: Int, now: Date) async throws -> [Message]
    /// Applies early delivery reports (see ``MessageStore/recordReport(providerMessageID:status:response:network:now:)``)
    /// whose send has been recorded meanwhile, up to `limit` of them, and deletes them.
    /// - Returns: How many reports it applied.
    func applyEarlyReports(limit: Int, now: Date) async throws -> Int
    /// Deletes early delivery reports received before `cutoff` that no recorded send ever claimed.
    func deleteEarlyReports(receivedBefore cutoff: Date, limit: Int) async throws -> Int
    /// Empties the bodies and subjects of up to `limit` final messages created before `cutoff` (the Data Protection
    /// Act's storage limitation); status, cost and times stay.
    /// - Returns: How many were redacted.
    func redactMessageBodies(createdBefore cutoff: Date, limit: Int) async throws -> Int
    /// Empties the text (template and subject) of up to `limit` blasts created before `cutoff` whose messages are all
    /// final: a blast without placeholders keeps its one text there, not in its messages.
    /// - Returns: How many were redacted.
    func redactBlastTexts(createdBefore cutoff: Date, limit: Int) async throws -> Int
}
