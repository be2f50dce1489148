public import Foundation

/// What a request with an `Idempotency-Key` may do.
public enum IdempotencyClaim: Hashable, Sendable {
    /// The key is new (or expired, or abandoned by a crashed request): run the request, then complete or release it.
    case proceed
    /// The first request finished: answer with its stored status and body, byte for byte.
    case replay(status: Int, body: String)
    /// The key was used with a different request body.
    case mismatch
    /// The first request is still running.
    case inFlight
}

/// Stored first responses of requests sent with an `Idempotency-Key`, per firm, for 24 hours.
public protocol IdempotencyStore: Sendable {
    /// Claims `key` for a request whose method, path and body hash to `requestHash`. A key claimed longer ago than
    /// `staleAfter` without completing is taken over (its request died); one older than `expiry` is reused.
    func claimIdempotencyKey(
        firmID: Int64, key: String, requestHash: String, now: Date, staleAfter: TimeInterval, expiry: TimeInterval
    )
        async throws -> IdempotencyClaim
    /// Stores the response of the claim made at `claimedAt` (the `now` it was claimed with). Fenced: a claim taken
    /// over since (its request was thought dead) is left to its new owner, and nothing changes.
    func completeIdempotencyKey(firmID: Int64, key: String, claimedAt: Date, status: Int, body: String, now: Date) async throws
    /// Forgets the claim made at `claimedAt` whose request failed on our side (5xx), so a retry runs again; fenced
    /// like ``completeIdempotencyKey(firmID:key:claimedAt:status:body:now:)``.
    func releaseIdempotencyKey(firmID: Int64, key: String, claimedAt: Date) async throws
}
