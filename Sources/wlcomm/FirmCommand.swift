public import ArgumentParser
import Foundation
public import WLDomain
import WLPorts
import WLServices
import WLStore

/// `wlcomm firm …`: create and manage firms.
struct FirmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firm", abstract: "Create and manage firms.",
        subcommands: [
            Create.self, List.self, Show.self, Suspend.self, Activate.self, SetRate.self, SetExpiry.self, AdjustCredits.self, SetSender.self,
            SetTracking.self, SetLimits.self, SetSenderIDs.self, SetPromotionalWindow.self,
            SetConsentRequired.self, SetLowBalance.self,
        ])

    /// One line about a firm, for people.
    static func describe(_ firm: Firm) -> String {
        let expiry = firm.subscriptionExpiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never"
        return
            "\(firm.id)\t\(firm.slug)\t\(firm.name)\t\(firm.status.rawValue)\t\(firm.mode.rawValue)\tcredits \(firm.smsCredits)\trate KES \(firm.smsRate)\texpires \(expiry)\t\(firm.timezone)"
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a firm.")
        @Option(help: "Unique handle: lower-case letters, digits, dashes.") var slug: String
        @Option(help: "The firm's name.") var name: String
        @Option(help: "KES per SMS credit, e.g. 1.8.") var rate: String
        @Option(help: "IANA timezone.") var timezone = Firm.defaultTimezone
        @Option(help: "live or sandbox.") var mode: FirmMode = .live
        @Option(help: "Subscription expiry (YYYY-MM-DD or ISO 8601); none by default.") var expires: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let new = try NewFirm(
                    slug: slug, name: name, smsRate: try parseRate(rate), timezone: timezone, mode: mode,
                    subscriptionExpiresAt: try expires.map(parseDate))
                let firm = try await options.withAdmin { admin, _ in try await admin.createFirm(new) }
                try options.output(firm, human: FirmCommand.describe)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List firms.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let firms = try await options.withAdmin { admin, _ in try await admin.firms() }
            try options.output(firms) { $0.map(FirmCommand.describe).joined(separator: "\n") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one firm.")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let found = try await options.withAdmin { admin, _ in try await admin.firm(firm) }
                try options.output(found, human: FirmCommand.describe)
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a firm: its keys get 403.")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await update(firm, FirmUpdate(status: .suspended), options)
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-activate a suspended firm.")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await update(firm, FirmUpdate(status: .active), options)
        }
    }

    struct SetRate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-rate", abstract: "Set KES per SMS credit.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "KES per SMS credit, e.g. 1.8.") var rate: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                try await update(firm, FirmUpdate(smsRate: try parseRate(rate)), options)
            }
        }
    }

    struct SetExpiry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-expiry", abstract: "Set or clear the subscription expiry.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "YYYY-MM-DD, ISO 8601, or none.") var expires: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let date: Date? = expires == "none" ? nil : try parseDate(expires)
                try await update(firm, FirmUpdate(subscriptionExpiresAt: .some(date)), options)
            }
        }
    }

    struct AdjustCredits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adjust-credits", abstract: "Add (or with a negative number, remove) credits; writes a ledger row.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(parsing: .unconditional, help: "Credits, up to 4 decimals, e.g. 100 or -2.5.") var credits: String
        @Option(help: "Why, for the ledger.") var reason: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                guard let amount = Credits(credits) else { throw ValidationError("--credits must be a number with at most 4 decimals") }
                let entry = try await options.withAdmin { admin, _ in
                    try await admin.adjustCredits(firm: firm, amount: amount, reason: reason)
                }
                try options.output(entry) { "ledger entry \($0.id): \($0.amount) credits, balance now \($0.balanceAfter)" }
            }
        }
    }
}

/// Applies `update` to a firm and prints it.
private func update(_ firm: String, _ update: FirmUpdate, _ options: GlobalOptions) async throws {
    try await reportingErrors {
        let updated = try await options.withAdmin { admin, _ in try await admin.update(firm, update) }
        try options.output(updated, human: FirmCommand.describe)
    }
}

/// Parses a KES rate such as `1.8`.
func parseRate(_ text: String) throws -> KES {
    guard let rate = KES(text), rate.cents > 0 else { throw ValidationError("--rate must be a positive amount in KES with at most 2 decimals") }
    return rate
}

/// Parses `YYYY-MM-DD` (midnight UTC) or a full ISO 8601 instant.
func parseDate(_ text: String) throws -> Date {
    if let date = ISO8601DateFormatter().date(from: text) { return date }
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    if let date = day.date(from: text) { return date }
    throw ValidationError("expected YYYY-MM-DD or an ISO 8601 date-time, got \(text)")
}

extension FirmMode: ExpressibleByArgument {}
