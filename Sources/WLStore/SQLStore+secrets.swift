public import WLDomain
import WLPorts

/// Which stored secrets a pass seals again with the current key.
public enum ResealScope: Sendable {
    /// Only values stored before encryption at rest (the pass at every start-up).
    case plaintext
    /// Every value not sealed with the current key (`wlcomm secrets rotate`).
    case notCurrentKey
}

/// What a pass over the stored secrets found and did.
public struct ResealSummary: Sendable, Equatable {
    /// Values read (every one opened, so an unknown key or a tampered value fails the pass).
    public var checked = 0
    /// Values sealed again with the current key.
    public var resealed = 0

    public init(checked: Int = 0, resealed: Int = 0) {
        self.checked = checked
        self.resealed = resealed
    }
}

/// A stored secret that could not be opened, with where it is.
public struct StoredSecretError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Table, column and row, e.g. `firms.webhook_secret of firm 3`.
    public var location: String
    public var reason: SecretBoxError
    public var description: String { "\(location): \(reason)" }
}

extension SQLStore {
    /// The value to store for `secret`: sealed with the current key (as given when the store has no ``secrets``).
    func sealSecret(_ secret: String?) -> String? {
        guard let secret, let secrets else { return secret }
        return secrets.seal(secret)
    }

    /// The secret a stored value holds (a legacy plaintext value as itself).
    /// - Parameter location: Where the value is, for the error when it cannot be opened.
    func openSecret(_ stored: String, at location: @autoclosure () -> String) throws -> String {
        try openStored(stored, at: location()).plaintext
    }

    /// The secret a stored value holds, or `nil` for no value.
    func openSecret(_ stored: String?, at location: @autoclosure () -> String) throws -> String? {
        guard let stored else { return nil }
        return try openStored(stored, at: location()).plaintext
    }

    private func openStored(_ stored: String, at location: @autoclosure () -> String) throws -> OpenedSecret {
        guard let secrets else {
            guard !SecretBox.isSealed(stored) else { throw StoredSecretError(location: location(), reason: .unknownKey("none configured")) }
            return OpenedSecret(plaintext: stored, sealing: .currentKey)
        }
        do {
            return try secrets.open(stored)
        } catch {
            throw StoredSecretError(location: location(), reason: error)
        }
    }

    /// Opens every stored secret (webhook secrets, current and previous, and service secrets such as the tracking
    /// key) and seals again, with the current key, those in `scope`. Each value is replaced only if it is still the
    /// one read, so a concurrent change wins. Idempotent; does nothing when the store has no ``secrets``.
    /// - Throws: ``StoredSecretError`` for the first value that cannot be opened (an unknown key, a tampered value).
    @discardableResult
    public func resealSecrets(_ scope: ResealScope) async throws -> ResealSummary {
        guard let secrets else { return ResealSummary() }
        let firms = try await database.read { connection in
            try await connection.query(
                "SELECT id, webhook_secret, webhook_previous_secret FROM firms WHERE webhook_secret IS NOT NULL OR webhook_previous_secret IS NOT NULL"
            )
        }
        let services = try await database.read { try await $0.query("SELECT name, value FROM service_secrets") }
        var replacements: [Replacement] = []
        var summary = ResealSummary()
        func visit(_ table: String, _ keyColumn: String, _ key: SQLValue, _ column: String, _ stored: String?, _ name: String) throws {
            guard let stored else { return }
            summary.checked += 1
            let opened = try openStored(stored, at: "\(table).\(column) of \(name)")
            let reseal =
                switch scope {
                case .plaintext: opened.sealing == .plaintext
                case .notCurrentKey: opened.needsResealing
                }
            if reseal {
                replacements.append(
                    Replacement(table: table, keyColumn: keyColumn, key: key, column: column, old: stored, new: secrets.seal(opened.plaintext)))
            }
        }
        for row in firms {
            let id = try row.int("id")
            for column in ["webhook_secret", "webhook_previous_secret"] {
                try visit("firms", "id", .int(id), column, try row.optionalText(column), "firm \(id)")
            }
        }
        for row in services {
            let name = try row.text("name")
            try visit("service_secrets", "name", .text(name), "value", try row.text("value"), name)
        }
        guard !replacements.isEmpty else { return summary }
        let pending = replacements
        summary.resealed = try await write { connection in
            var replaced = 0
            for item in pending {
                // Table and column names come from the list above, never from input.
                let updated = try await connection.query(
                    "UPDATE \(item.table) SET \(item.column) = $2 WHERE \(item.keyColumn) = $1 AND \(item.column) = $3 RETURNING \(item.keyColumn)",
                    [item.key, .text(item.new), .text(item.old)])
                replaced += updated.count
            }
            return replaced
        }
        return summary
    }
}

/// One stored secret to replace, if it still holds what was read.
private struct Replacement: Sendable {
    var table: String
    var keyColumn: String
    var key: SQLValue
    var column: String
    var old: String
    var new: String
}
