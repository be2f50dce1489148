import ArgumentParser
import Foundation
import WLDomain
import WLPorts
import WLServices
import WLStore

/// `wlcomm contacts import`: clients and address-book contacts from CSV, for placeholders.
struct ContactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts", abstract: "Import contacts for placeholders.", subcommands: [Import.self])

    struct Report: Encodable {
        var inserted: Int
        var updated: Int
        var refused: [Refused]
    }

    struct Refused: Encodable {
        var line: Int
        var reason: String
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV with columns first_name, last_name, phone, email, account_balance, kind (client|address_book).")
        @Option(help: "Firm id or slug.") var firm: String
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                guard let csv = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ValidationError("cannot read \(file) as UTF-8 text")
                }
                let showProgress = !options.json
                let (summary, errors) = try await options.withAdmin { admin, _ in
                    try await admin.importContacts(firm: firm, csv: csv) { done, total in
                        if showProgress { FileHandle.standardError.write(Data("\rimported \(done)/\(total)".utf8)) }
                    }
                }
                if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
                let report = Report(
                    inserted: summary.inserted, updated: summary.updated,
                    refused: errors.map { Refused(line: $0.line, reason: $0.message) })
                try options.output(report) { report in
                    (["\(report.inserted) added, \(report.updated) updated, \(report.refused.count) refused"]
                        + report.refused.map { "line \($0.line): \($0.reason)" }).joined(separator: "\n")
                }
            }
        }
    }
}
