import ArgumentParser
import Foundation
import WLDomain
import WLPorts
import WLServices
import WLStore

/// `wlcomm privacy …`: a firm's Data Protection Act requests about one person.
struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Erase one person from a firm's records, or export what is held about them.",
        subcommands: [Erase.self, Export.self])

    /// Who the request is about.
    struct Person: ParsableArguments {
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "The person's phone number, in any accepted form.") var phone: String?
        @Option(help: "The person's email address.") var email: String?
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the person from contacts, message recipients and bodies, payments, opt-out lists and stored answers.")
        @OptionGroup var person: Person
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let subject = try PrivacyService.subject(phone: person.phone, email: person.email)
                let summary = try await options.withAdmin { admin, store in
                    try await PrivacyService(store: store, time: SystemTimeSource()).erase(subject, firmID: admin.firm(person.firm).id)
                }
                try options.output(summary) {
                    "erased: \($0.contacts) contacts, \($0.messages) messages (\($0.cancelled) cancelled), \($0.payments) payments, "
                        + "\($0.optOuts) opt-outs, \($0.suppressions) suppressions, \($0.idempotencyRecords) stored answers"
                }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print, as JSON, everything the firm holds about the person.")
        @OptionGroup var person: Person
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let subject = try PrivacyService.subject(phone: person.phone, email: person.email)
                let view = try await options.withAdmin { admin, store in
                    try await PrivacyService(store: store, time: SystemTimeSource()).export(subject, firm: admin.firm(person.firm))
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(view), as: UTF8.self))
            }
        }
    }
}
