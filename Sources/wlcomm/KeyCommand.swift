import ArgumentParser
import Foundation
import WLDomain
import WLPorts
import WLServices

/// `wlcomm key …`: API keys. A key's secret is printed once, at creation.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Create, list and revoke API keys.", subcommands: [Create.self, List.self, Revoke.self])

    static func describe(_ key: APIKeyRecord) -> String {
        let formatter = ISO8601DateFormatter()
        let used = key.lastUsedAt.map(formatter.string) ?? "never"
        let state = key.revokedAt.map { "revoked \(formatter.string(from: $0))" } ?? "active"
        return "\(key.id)\t\(key.displayPrefix)…\t\(key.label)\t\(state)\tlast used \(used)"
    }

    /// What `key create --json` prints: the only time the secret is shown.
    struct Created: Encodable {
        var id: Int64
        var firmId: Int64
        var apiKey: String
        var displayPrefix: String
        var label: String
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; its secret is shown only now.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "A label to tell keys apart.") var label = "default"
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let (key, record) = try await options.withAdmin { admin, _ in try await admin.createKey(firm: firm, label: label) }
                let created = Created(
                    id: record.id, firmId: record.firmID, apiKey: key.secret, displayPrefix: record.displayPrefix, label: record.label)
                try options.output(created) {
                    "API key \($0.id) for firm \($0.firmId):\n\n  \($0.apiKey)\n\nStore it now: it is not shown again."
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a firm's keys (never their secrets).")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let keys = try await options.withAdmin { admin, _ in try await admin.keys(firm: firm) }
                try options.output(keys) { $0.map(KeyCommand.describe).joined(separator: "\n") }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: it gets 401 from now on.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "The key's id (see key list).") var id: Int64
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let key = try await options.withAdmin { admin, _ in try await admin.revokeKey(firm: firm, keyID: id) }
                try options.output(key, human: KeyCommand.describe)
            }
        }
    }
}
