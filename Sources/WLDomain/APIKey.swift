import Crypto
import Foundation

/// An API key as a client presents it: `wl_comm_…` for live keys, `wl_test_…` for sandbox keys.
///
/// Only ``hash`` and ``displayPrefix`` are ever stored; the whole key is shown once, when it is made.
public struct APIKey: Hashable, Sendable {
    /// The prefix of live keys.
    public static let livePrefix = "wl_comm_"
    /// The prefix of test (sandbox) keys.
    public static let testPrefix = "wl_test_"
    /// Random base62 characters after the prefix in a generated key.
    public static let randomLength = 40
    /// The longest key accepted from a client; anything longer is refused before hashing.
    public static let maximumLength = 128

    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// The whole secret key.
    public let secret: String

    /// Accepts a key with a known prefix followed by letters, digits and underscores, at most ``maximumLength`` long.
    public init?(_ secret: String) {
        // Every accepted character is ASCII, so bytes and characters count alike.
        let bytes = secret.utf8
        guard bytes.count <= Self.maximumLength,
            secret.hasPrefix(Self.livePrefix) || secret.hasPrefix(Self.testPrefix),
            bytes.count > Self.livePrefix.utf8.count,
            bytes.allSatisfy({ Self.isKeyByte($0) })
        else { return nil }
        self.secret = secret
    }

    /// An ASCII letter, digit or underscore.
    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
    }

    /// `text` without leading and trailing spaces and tabs.
    private static func trimmed(_ text: some StringProtocol) -> String {
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        let bytes = Array(text.utf8)
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// Makes a new random key with `randomLength` base62 characters from `generator`.
    public static func generate(mode: FirmMode, using generator: inout some RandomNumberGenerator) -> APIKey {
        let prefix = mode == .live ? livePrefix : testPrefix
        let random = (0..<randomLength).map { _ in base62[Int.random(in: 0..<base62.count, using: &generator)] }
        return APIKey(prefix + String(random))!
    }

    /// Makes a new key from the system's secure random source.
    public static func generate(mode: FirmMode) -> APIKey {
        var generator = SystemRandomNumberGenerator()
        return generate(mode: mode, using: &generator)
    }

    /// Whether this is a sandbox key.
    public var isTest: Bool { secret.hasPrefix(Self.testPrefix) }

    /// The lower-case hex SHA-256 of the key: what the store keeps and looks keys up by.
    public var hash: String { Self.hash(secret) }

    /// The prefix plus four characters (`wl_comm_AbC1`), enough for a person to tell keys apart.
    public var displayPrefix: String { String(secret.prefix(Self.livePrefix.count + 4)) }

    /// Lower-case hex SHA-256 of `text`.
    static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hex
    }

    /// Extracts a key from request headers: `X-API-Key` first, else `Authorization: Bearer …`. An `X-API-Key` that
    /// is empty (some HTTP clients send every header of a template, filled or not) counts as absent.
    /// - Returns: `nil` when neither header carries a well-formed key.
    public static func fromHeaders(apiKey: String?, authorization: String?) -> APIKey? {
        if let apiKey, !trimmed(apiKey).isEmpty {
            return APIKey(trimmed(apiKey))
        }
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return APIKey(trimmed(parts[1]))
    }
}

extension APIKey: CustomStringConvertible {
    /// Redacted: a key never reaches a log through string interpolation.
    public var description: String { "\(displayPrefix)…" }
}
