public import Foundation
import Synchronization
public import WLPorts

/// Keeps each API key's authentication for a short time, so a busy client costs one store read per key per
/// `lifetime`, not one per request.
///
/// The price is staleness: a key revoked, or a firm suspended or changed, in another process (the CLI, another
/// instance) is seen here within `lifetime`. Only keys that authenticated are kept (an unknown key is looked up every
/// time, so random keys cannot fill the cache), and at most `capacity` of them: a full cache starts over.
public final class AuthenticationCache: Sendable {
    private struct Entry {
        var authentication: Authentication
        var expires: Date
    }

    /// How long an authentication is trusted; zero keeps nothing.
    public let lifetime: TimeInterval
    private let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    public init(lifetime: TimeInterval, capacity: Int = 10_000) {
        self.lifetime = max(0, lifetime)
        self.capacity = max(1, capacity)
    }

    /// The authentication kept for `keyHash`, unless it is older than `lifetime` at `now`.
    public func authentication(keyHash: String, now: Date) -> Authentication? {
        guard lifetime > 0 else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[keyHash] else { return nil }
            guard entry.expires > now else {
                entries[keyHash] = nil
                return nil
            }
            return entry.authentication
        }
    }

    /// Keeps `authentication` for `keyHash` until `now + lifetime`.
    public func keep(_ authentication: Authentication, keyHash: String, now: Date) {
        guard lifetime > 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity, entries[keyHash] == nil { entries.removeAll(keepingCapacity: true) }
            entries[keyHash] = Entry(authentication: authentication, expires: now.addingTimeInterval(lifetime))
        }
    }
}
