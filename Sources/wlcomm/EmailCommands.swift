import ArgumentParser
import Foundation
import WLDomain
import WLPorts
import WLServices
import WLStore

/// A firm's sender identity and tracking, as the CLI prints them.
struct SenderView: Encodable {
    var firm: String
    var from: String?
    var fromName: String?
    var replyTo: String?
    var tracking: Bool

    init(firm: String, _ settings: EmailSettings) {
        self.firm = firm
        from = settings.from?.value
        fromName = settings.fromName
        replyTo = settings.replyTo?.value
        tracking = settings.tracking
    }

    var line: String {
        "\(firm)\tfrom \(fromName.map { "\"\($0)\" " } ?? "")\(from.map { "<\($0)>" } ?? "(smtp.defaultFrom)")\treply-to \(replyTo ?? "-")\ttracking \(tracking ? "on" : "off")"
    }
}

extension FirmCommand {
    struct SetSender: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-sender", abstract: "Set the From address and name and the Reply-To of the firm's email.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "The From address.") var from: String
        @Option(help: "The From display name (default: the firm's name).") var name: String?
        @Option(help: "The Reply-To address.") var replyTo: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                guard let address = EmailAddress(from) else { throw ValidationError("--from is not an email address") }
                // As a firm's name: a longer one would make a From line that strict relays refuse.
                if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.unicodeScalars.count > 200 {
                    throw ValidationError("--name is 1 to 200 characters, no control characters")
                }
                if let name, NewFirm.hasControlCharacters(name) {
                    throw ValidationError("--name is 1 to 200 characters, no control characters")
                }
                let reply = try replyTo.map { text in
                    guard let address = EmailAddress(text) else { throw ValidationError("--reply-to is not an email address") }
                    return address
                }
                let view = try await options.withAdmin { admin, store in
                    let found = try await admin.firm(firm)
                    var settings = try await store.emailSettings(firmID: found.id)
                    settings.from = address
                    settings.fromName = name
                    settings.replyTo = reply
                    try await store.setEmailSettings(firmID: found.id, settings)
                    return SenderView(firm: found.slug, settings)
                }
                try options.output(view) { $0.line }
            }
        }
    }

    struct SetTracking: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-tracking", abstract: "Turn open and click tracking of the firm's HTML email on or off.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "on or off.") var tracking: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                guard ["on", "off"].contains(tracking) else { throw ValidationError("--tracking is on or off") }
                let view = try await options.withAdmin { admin, store in
                    let found = try await admin.firm(firm)
                    var settings = try await store.emailSettings(firmID: found.id)
                    settings.tracking = tracking == "on"
                    try await store.setEmailSettings(firmID: found.id, settings)
                    return SenderView(firm: found.slug, settings)
                }
                try options.output(view) { $0.line }
            }
        }
    }
}

/// `wlcomm suppression …`: the addresses a firm no longer emails.
struct SuppressionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suppression", abstract: "List or remove suppressed email addresses.", subcommands: [List.self, Remove.self])

    struct Entry: Encodable {
        var address: String
        var reason: String
        var createdAt: Date
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The firm's suppressed addresses, oldest first.")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let entries = try await options.withAdmin { admin, store in
                    try await store.suppressions(firmID: admin.firm(firm).id).map {
                        Entry(address: $0.address, reason: $0.reason, createdAt: $0.createdAt)
                    }
                }
                try options.output(entries) { $0.map { "\($0.address)\t\($0.reason)" }.joined(separator: "\n") }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send to an address again.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "The address.") var address: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let removed = try await options.withAdmin { admin, store in
                    try await store.removeSuppression(firmID: admin.firm(firm).id, address: address)
                }
                guard removed else { throw DomainError(.notFound, "\(address) is not suppressed.") }
                try options.output(["removed": address]) { _ in "\(address) removed" }
            }
        }
    }
}
