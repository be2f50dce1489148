public import Foundation
public import WLPorts

/// Keeps each API key's authentication for a short time, so a busy client costs one store read per key per
/// `lifetime`, not one per request.
///
/// The price is staleness: a key revoked, or a firm suspended or changed, in another process (the CLI, another
/// instance) is seen here within `lifetime`. Only keys that authenticated are kept (an unknown key is looked up every
/// time, so random keys cannot fill the cache), and at most `capacity` of them: a full cache starts over.
public final class AuthenticationCache: Sendable {
    private let kept: ShortLivedCache<String, Authentication>

    /// How long an authentication is trusted; zero keeps nothing.
    public var lifetime: TimeInterval { kept.lifetime }

    public init(lifetime: TimeInterval, capacity: Int = 10_000) {
        kept = ShortLivedCache(lifetime: lifetime, capacity: capacity)
    }

    /// The authentication kept for `keyHash`, unless it is older than `lifetime` at `now`.
    public func authentication(keyHash: String, now: Date) -> Authentication? { kept.value(for: keyHash, now: now) }

    /// Keeps `authentication` for `keyHash` until `now + lifetime`.
    public func keep(_ authentication: Authentication, keyHash: String, now: Date) { kept.keep(authentication, for: keyHash, now: now) }
}
