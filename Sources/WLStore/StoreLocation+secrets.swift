import Foundation
public import Logging
public import WLDomain

/// The keys that seal secrets at rest, as configured: `secrets.key` (base64 of 32 bytes) seals and opens,
/// `secrets.previousKeys` only open (values sealed before a rotation).
public struct SecretKeySettings: Sendable, Equatable {
    /// The current key, base64; `nil`: the SQLite key file, or a refusal on PostgreSQL.
    public var key: String?
    /// Older keys, base64.
    public var previousKeys: [String]

    public init(key: String? = nil, previousKeys: [String] = []) {
        self.key = key
        self.previousKeys = previousKeys
    }

    /// Settings from the configured texts: `previousKeys` is comma-separated; blanks are ignored.
    public init(key: String?, previousKeys: String?) {
        let trimmed = key?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.init(
            key: trimmed?.isEmpty == false ? trimmed : nil,
            previousKeys: (previousKeys ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }
}

/// The secrets key is missing or unusable; the message names the setting to fix.
public struct SecretKeyConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension StoreLocation {
    /// Where the key lives when none is configured: `<database file>.key` for SQLite; `nil` for PostgreSQL, which
    /// has no file of its own and needs `secrets.key`.
    public var keyFilePath: String? {
        switch self {
        case .sqlite(let path): "\(path).key"
        case .postgres: nil
        }
    }

    /// The keyring that seals this store's secrets.
    ///
    /// A configured `secrets.key` is used (with `secrets.previousKeys`, and the SQLite key file's key when one
    /// exists, so moving from the file to a configured key only needs `wlcomm secrets rotate`). Without one, SQLite
    /// uses the key file beside the database, created once with a random key and mode 0600; PostgreSQL refuses.
    /// - Throws: ``SecretKeyConfigurationError`` naming the setting at fault.
    public func secretBox(_ settings: SecretKeySettings, logger: Logger) throws -> SecretBox {
        try check()
        let fileKey = try keyFilePath.flatMap { try Self.keyFile($0, create: settings.key == nil, logger: logger) }
        guard let current = settings.key ?? fileKey else {
            throw SecretKeyConfigurationError(
                message: """
                    No secrets key: PostgreSQL needs secrets.key (environment WLCOMM_SECRETS_KEY), the base64 of 32 random bytes \
                    (e.g. `openssl rand -base64 32`), the same on every instance. It encrypts webhook secrets and the tracking key.
                    """)
        }
        do {
            return try SecretBox(key: current, previousKeys: settings.previousKeys + (fileKey.map { [$0] } ?? []))
        } catch {
            let setting = settings.key == nil ? "the key file \(keyFilePath ?? "")" : "secrets.key (WLCOMM_SECRETS_KEY) or secrets.previousKeys"
            throw SecretKeyConfigurationError(message: "Unusable secrets key in \(setting): \(error)")
        }
    }

    /// The key in the file at `path`; when it is missing and `create` is set, a new random key written there first.
    private static func keyFile(_ path: String, create: Bool, logger: Logger) throws -> String? {
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { return nil }
            try PrivateFile.createFolder(holding: path)
            if try PrivateFile.publishIfMissing(path, contents: SecretBox.generateKey() + "\n") {
                logger.notice("created the secrets key file; back it up with the database", metadata: ["path": "\(path)"])
            }
        }
        if try PrivateFile.mode(of: path) & 0o077 != 0 {
            logger.warning("the secrets key file is readable by other users; chmod 600 it", metadata: ["path": "\(path)"])
        }
        return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
