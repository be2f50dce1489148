import ArgumentParser
import Configuration
import Foundation
import WLApp
import WLPorts

/// `wlcomm config show`: the effective configuration.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect the configuration the server would run with.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every setting with its effective value and where it came from (flag, environment, file, default); secrets redacted.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                var flags: [AbsoluteConfigKey: ConfigValue] = [:]
                if let url = options.databaseURL { flags["database.url"] = ConfigValue(.string(url), isSecret: true) }
                let providers = try await ConfigReader.wlcommProviders(
                    flags: flags, environment: ProcessInfo.processInfo.environment, configFile: options.config)
                let entries = AppSettings.provenance(providers: providers)
                try options.output(entries) { entries in
                    let width = entries.map(\.key.count).max() ?? 0
                    return entries.map { entry in
                        entry.key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (entry.value ?? "(unset)") + "  [\(entry.source)]"
                    }.joined(separator: "\n")
                }
            }
        }
    }
}
