/// The secret in a payment's callback URL: 32 random bytes as hex. Only its SHA-256 is stored.
public struct CallbackToken: Sendable {
    /// The token, as it appears in the URL.
    public let value: String

    /// Makes a new token from the system's secure random source.
    public init() {
        var generator = SystemRandomNumberGenerator()
        value = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hex
    }

    /// The lower-case hex SHA-256 of `token`, what the store keeps.
    public static func hash(_ token: String) -> String { APIKey.hash(token) }

    /// The hash of this token.
    public var hash: String { Self.hash(value) }
}
