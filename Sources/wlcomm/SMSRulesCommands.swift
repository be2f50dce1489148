import ArgumentParser
import Foundation
import Logging
import WLApp
import WLDomain
import WLPorts
import WLServices
import WLStore

extension FirmCommand {
    struct SetSenderIDs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-sender-ids",
            abstract: "Set the firm's registered SMS sender IDs, one per category (none: the platform's default).")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "Sender ID of transactional SMS (up to 11 letters, digits, spaces), or none.") var transactional: String
        @Option(help: "Sender ID of promotional SMS, or none.") var promotional: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let ids = SenderIDs(
                    transactional: try transactional == "none" ? nil : SenderID(transactional, field: "transactional"),
                    promotional: try promotional == "none" ? nil : SenderID(promotional, field: "promotional"))
                let updated = try await options.withAdmin { admin, _ in try await admin.update(firm, FirmUpdate(senderIDs: ids)) }
                try options.output(updated.senderIDs) { _ in
                    "\(updated.slug): transactional \(ids.transactional?.value ?? "(default)"), promotional \(ids.promotional?.value ?? "(default)")"
                }
            }
        }
    }

    struct SetPromotionalWindow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-promotional-window",
            abstract: "Narrow the hours the firm's promotional SMS go out (inside the platform's sms.promotionalWindow), or none.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "HH:MM-HH:MM in the platform's sms.promotionalTimezone (East Africa Time by default), or none.") var window: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let platform = try AppSettings(reader: try await options.reader()).promotionalPolicy()
                let firmWindow = window == "none" ? nil : try SendingWindow(parsing: window)
                if let firmWindow, !firmWindow.isWithin(platform.window) {
                    throw DomainError(
                        .validation, "The firm's window must lie inside the platform's (\(platform.window)).",
                        fields: ["window": ["Inside \(platform.window)."]])
                }
                let updated = try await options.withAdmin { admin, _ in
                    try await admin.update(firm, FirmUpdate(promotionalWindow: .some(firmWindow)))
                }
                try options.output(["window": platform.window(for: updated.promotionalWindow).description]) {
                    "\(updated.slug): promotional SMS go out \($0["window"] ?? "")"
                }
            }
        }
    }
}

extension FirmCommand {
    struct SetConsentRequired: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-consent-required",
            abstract: "Whether the firm's promotional SMS go only to contacts with recorded consent (others are skipped no_consent).")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "true or false.") var required: Bool
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let updated = try await options.withAdmin { admin, _ in
                    try await admin.update(firm, FirmUpdate(promotionalConsentRequired: required))
                }
                try options.output(["promotional_consent_required": updated.promotionalConsentRequired]) {
                    "\(updated.slug): promotional consent \($0.values.first == true ? "required" : "not required")"
                }
            }
        }
    }
}

extension FirmCommand {
    struct SetLowBalance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-low-balance",
            abstract: "The balance at or below which communication.credits.low fires once (webhook and log), or none.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "Credits, up to 4 decimals, or none.") var threshold: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let credits: Credits? = threshold == "none" ? nil : Credits(threshold)
                guard threshold == "none" || (credits.map { $0 >= .zero } ?? false) else {
                    throw ValidationError("--threshold must be credits or none")
                }
                let updated = try await options.withAdmin { admin, store in
                    try await store.setLowBalanceThreshold(firmID: admin.firm(firm).id, credits, now: Date())
                }
                try options.output(["threshold": updated.lowBalanceThreshold.map { "\($0)" } ?? "none"]) {
                    "\(updated.slug): low-balance alert at \($0["threshold"] ?? "none") credits"
                }
            }
        }
    }
}

/// `wlcomm opt-out …`: a firm's SMS opt-out list.
struct OptOutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opt-out", abstract: "List, add or remove numbers on a firm's SMS opt-out list.",
        subcommands: [List.self, Add.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The firm's opted-out numbers, in number order.")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let entries = try await options.withAdmin { admin, store in
                    let firmID = try await admin.firm(firm).id
                    var all: [OptOut] = []
                    while true {
                        let page = try await store.optOuts(firmID: firmID, limit: 1_000, startingAfter: all.last?.phone)
                        all += page
                        if page.count < 1_000 { return all }
                    }
                }
                try options.output(entries) { $0.map { "\($0.phone)\t\($0.source.rawValue)" }.joined(separator: "\n") }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop texting a number.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "The number, in any accepted form.") var phone: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let result = try await options.withAdmin { admin, store in
                    try await OptOutService(store: store, time: SystemTimeSource(), defaultSenderID: nil, logger: .init(label: "wlcomm"))
                        .add(phone, firmID: admin.firm(firm).id, source: .admin)
                }
                try options.output(result.entry) { "\($0.phone) opted out\(result.created ? "" : " (already)")" }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Text a number again (only with the subscriber's consent).")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "The number, in any accepted form.") var phone: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                try await options.withAdmin { admin, store in
                    try await OptOutService(store: store, time: SystemTimeSource(), defaultSenderID: nil, logger: .init(label: "wlcomm"))
                        .remove(phone, firmID: admin.firm(firm).id)
                }
                try options.output(["removed": phone]) { _ in "\(phone) removed" }
            }
        }
    }
}
