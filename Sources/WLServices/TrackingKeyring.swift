import Synchronization
public import WLDomain

/// Holds the tracking signer once its secret is known: configured, or read from the database after migrations (so
/// every instance on one database signs alike). Until then nothing is tracked and no token verifies.
public final class TrackingKeyring: Sendable {
    private let current = Mutex<TrackingSigner?>(nil)

    public init(secret: String? = nil) {
        if let secret { current.withLock { $0 = TrackingSigner(secret: secret) } }
    }

    /// Sets the secret.
    public func set(secret: String) { current.withLock { $0 = TrackingSigner(secret: secret) } }

    /// The signer, once the secret is set.
    public var signer: TrackingSigner? { current.withLock { $0 } }
}
