public import Foundation
public import WLPorts

/// Keeps each API key's authentication for a short time, so a busy client costs one store read per key per
/// `lifetime`, not one per request.
///
/// The price is staleness: a key revoked, or a firm suspended or changed, in another process (the CLI, another
/// instance) is seen here within `lifetime`; in this process (the console, the management API) at once, through
/// ``forget(firmID:)``. Only keys that authenticated are kept (an unknown key is looked up every
/// time, so random keys cannot fill the cache), and at most `capacity` of them: a full cache starts over.
/// Requests with one key that miss it together share one read (and so at most one `last_used_at` update).
public final class AuthenticationCache: Sendable {
    private let kept: ShortLivedCache<String, Authentication>

    /// How long an authentication is trusted; zero keeps nothing.
    public var lifetime: TimeInterval { kept.lifetime }

    public init(lifetime: TimeInterval, capacity: Int = 10_000) {
        kept = ShortLivedCache(lifetime: lifetime, capacity: capacity)
    }

    /// The authentication kept for `keyHash`, else what `read` finds (kept when it is not `nil`); callers that miss
    /// the same key while a read runs wait for that read.
    public func authentication(
        keyHash: String, now: Date, read: @escaping @Sendable () async throws -> Authentication?
    ) async throws -> Authentication? {
        try await kept.value(for: keyHash, now: now, load: read)
    }

    /// Drops the firm's kept authentications, and keeps none read before this call: one of its keys was revoked, or
    /// the firm itself changed.
    public func forget(firmID: Int64) {
        kept.forget { _, authentication in authentication.firm.id == firmID }
    }
}
