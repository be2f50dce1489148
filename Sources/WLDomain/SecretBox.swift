import Crypto
import Foundation

/// Seals secrets the service keeps in its database (webhook signing secrets, the tracking key) with AES-256-GCM.
///
/// A keyring: one current key seals, every key (current and previous) opens, so values sealed before a key rotation
/// still open until they are re-sealed. The stored form is text, `enc:v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`,
/// where the key id is the first 8 hex characters of the SHA-256 of the key. A value without the `enc:` prefix is a
/// legacy plaintext value: it opens as itself and is reported as needing re-sealing.
public struct SecretBox: Sendable {
    /// One key of the ring and its id.
    struct Key: Sendable {
        let key: SymmetricKey
        let id: String
    }

    /// The prefix every sealed value starts with.
    public static let sealedPrefix = "enc:"
    private static let version = "v1"
    private static let keyBytes = 32

    private let current: Key
    private let ring: [String: SymmetricKey]

    /// The id of the key that seals.
    public var currentKeyID: String { current.id }

    /// A ring from base64 keys of 32 bytes each.
    /// - Parameters:
    ///   - key: The current key: seals new values and opens.
    ///   - previousKeys: Older keys that only open.
    /// - Throws: ``SecretBoxError/invalidKey(_:)`` when a key is not the base64 of 32 bytes.
    public init(key: String, previousKeys: [String] = []) throws(SecretBoxError) {
        current = try Self.key(fromBase64: key)
        var ring = [current.id: current.key]
        for older in previousKeys {
            let parsed = try Self.key(fromBase64: older)
            ring[parsed.id] = ring[parsed.id] ?? parsed.key
        }
        self.ring = ring
    }

    /// A new random key as base64, for `secrets.key` or a key file.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    /// The id of a base64 key (what sealed values carry), or `nil` when it is not a valid key.
    public static func keyID(ofBase64 key: String) -> String? { try? Self.key(fromBase64: key).id }

    /// Whether `stored` is in the sealed form (of any version or key), rather than legacy plaintext.
    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(sealedPrefix) }

    /// Seals `plaintext` with the current key and a fresh random nonce.
    public func seal(_ plaintext: String) -> String {
        // AES.GCM.seal only throws for a nonce or key of the wrong size; ours are always the right size.
        guard let combined = try? AES.GCM.seal(Data(plaintext.utf8), using: current.key).combined else {
            preconditionFailure("AES-GCM refused a 256-bit key and a default nonce")
        }
        return "\(Self.sealedPrefix)\(Self.version):\(current.id):\(combined.base64EncodedString())"
    }

    /// Opens a stored value: a sealed one with the key its id names, a legacy plaintext one as itself.
    /// - Throws: ``SecretBoxError`` when the value is sealed but malformed, of an unknown version, sealed with a key
    ///   not in the ring, or fails authentication (tampered, or another key with the same id).
    public func open(_ stored: String) throws(SecretBoxError) -> OpenedSecret {
        guard Self.isSealed(stored) else { return OpenedSecret(plaintext: stored, sealing: .plaintext) }
        let parts = stored.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw .malformed }
        guard parts[1] == Self.version else { throw .unsupportedVersion(String(parts[1])) }
        let keyID = String(parts[2])
        guard let key = ring[keyID] else { throw .unknownKey(keyID) }
        guard let combined = Data(base64Encoded: String(parts[3])) else { throw .malformed }
        let plaintext: Data
        do {
            plaintext = try AES.GCM.open(try AES.GCM.SealedBox(combined: combined), using: key)
        } catch {
            throw .authenticationFailed(keyID)
        }
        guard let text = String(data: plaintext, encoding: .utf8) else { throw .authenticationFailed(keyID) }
        return OpenedSecret(plaintext: text, sealing: keyID == current.id ? .currentKey : .previousKey)
    }

    private static func key(fromBase64 text: String) throws(SecretBoxError) -> Key {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed) else { throw .invalidKey("not base64") }
        guard bytes.count == keyBytes else { throw .invalidKey("\(bytes.count) bytes, not \(keyBytes)") }
        return Key(key: SymmetricKey(data: bytes), id: String(SHA256.hash(data: bytes).hex.prefix(8)))
    }
}

/// A value ``SecretBox/open(_:)`` read, and how it was stored.
public struct OpenedSecret: Sendable, Equatable {
    /// How a stored value was protected.
    public enum Sealing: Sendable, Equatable {
        /// Sealed with the current key.
        case currentKey
        /// Sealed with a previous key of the ring.
        case previousKey
        /// Stored before encryption at rest: plaintext.
        case plaintext
    }

    /// The secret.
    public var plaintext: String
    /// How it was stored.
    public var sealing: Sealing
    /// Whether it should be sealed again with the current key.
    public var needsResealing: Bool { sealing != .currentKey }

    public init(plaintext: String, sealing: Sealing) {
        self.plaintext = plaintext
        self.sealing = sealing
    }
}

/// Why a stored secret could not be opened, or a key not used. The description never holds a secret.
public enum SecretBoxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configured key is not the base64 of 32 bytes.
    case invalidKey(String)
    /// The value starts with `enc:` but is not `enc:v1:<key id>:<base64>`.
    case malformed
    /// The value is sealed in a format this build does not know.
    case unsupportedVersion(String)
    /// The value is sealed with a key that is neither the current nor a previous key.
    case unknownKey(String)
    /// Decryption failed: the value was changed, or sealed with another key that has the same id.
    case authenticationFailed(String)

    public var description: String {
        switch self {
        case .invalidKey(let reason): "A secrets key must be the base64 of 32 random bytes (\(reason))."
        case .malformed: "A stored secret starts with enc: but is not in the form enc:v1:<key id>:<base64>."
        case .unsupportedVersion(let version): "A stored secret is sealed in format \(version), which this build cannot read."
        case .unknownKey(let id):
            "A stored secret is sealed with key \(id), which is neither secrets.key nor one of secrets.previousKeys."
        case .authenticationFailed(let id): "A stored secret sealed with key \(id) failed authentication: it was altered."
        }
    }
}
