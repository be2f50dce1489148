import Foundation

/// A console session's bearer secret: 32 random bytes as unpadded base64url (43 characters). Only its SHA-256 is
/// stored, like an API key's.
public struct SessionToken: Hashable, Sendable {
    /// The length of every token.
    public static let length = 43

    /// The secret as the client holds it (cookie value or bearer token).
    public let secret: String

    /// Accepts exactly 43 base64url characters; anything else is no token.
    public init?(_ secret: String) {
        guard secret.utf8.count == Self.length, secret.utf8.allSatisfy(Self.isTokenByte) else { return nil }
        self.secret = secret
    }

    /// A new token from the system's secure random source.
    public static func generate() -> SessionToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return SessionToken(encoded)!
    }

    /// Lower-case hex SHA-256 of the token: what the store keeps.
    public var hash: String { APIKey.hash(secret) }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
            || byte == 0x5F
    }
}
