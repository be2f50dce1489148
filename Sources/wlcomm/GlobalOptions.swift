import ArgumentParser
import Configuration
import Foundation
import Logging
import WLApp
import WLDomain
import WLPorts
import WLServices
import WLStore

/// Options every command takes: where the database is, a config file, and the output format.
struct GlobalOptions: ParsableArguments {
    @Option(help: "postgres://user:password@host:port/db, or a SQLite file path (default ./data/wlcomm.sqlite). Env: WLCOMM_DATABASE_URL.")
    var databaseURL: String?

    @Option(help: "A JSON config file (default ./wlcomm.json when it exists). Env: WLCOMM_CONFIG_FILE.")
    var config: String?

    @Flag(help: "Print JSON for scripts instead of text for people.")
    var json = false

    /// The configuration with these flags (and `extra` ones) on top of environment, file and defaults.
    func reader(extra: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> ConfigReader {
        var flags = extra
        if let databaseURL { flags["database.url"] = ConfigValue(.string(databaseURL), isSecret: true) }
        return try await ConfigReader.wlcomm(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: config)
    }

    /// Runs `body` with the migrated store and an admin service over it.
    func withAdmin<T: Sendable>(
        extra: [AbsoluteConfigKey: ConfigValue] = [:], _ body: @Sendable (FirmAdmin, SQLStore) async throws -> T
    ) async throws -> T {
        let settings = AppSettings(reader: try await reader(extra: extra))
        var logger = Logger(label: "wlcomm")
        logger.logLevel = .warning
        return try await StoreSession.with(settings.store, secrets: settings.secrets, logger: logger) { store in
            try await body(FirmAdmin(store: store, time: SystemTimeSource(), allowPrivateWebhooks: settings.webhooksAllowPrivate), store)
        }
    }

    /// Runs `body` with the console's accounts (bcrypt cost from the settings) and the firm admin.
    func withConsole<T: Sendable>(_ body: @Sendable (ConsoleAccounts, FirmAdmin) async throws -> T) async throws -> T {
        let settings = AppSettings(reader: try await reader(extra: [:]))
        var logger = Logger(label: "wlcomm")
        logger.logLevel = .warning
        return try await StoreSession.with(settings.store, secrets: settings.secrets, logger: logger) { [logger] store in
            let time = SystemTimeSource()
            return try await body(
                ConsoleAccounts(store: store, time: time, settings: settings.console, logger: logger),
                FirmAdmin(store: store, time: time, allowPrivateWebhooks: settings.webhooksAllowPrivate))
        }
    }

    /// Prints `value` as JSON when `--json` is set, else the text `human` makes.
    func output<T: Encodable>(_ value: T, human: (T) -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            print(human(value))
        }
    }
}

/// Turns a domain error into a one-line failure with a non-zero exit, instead of a stack of Swift types.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as DomainError {
        let fields = error.fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: " "))" }
        throw CommandFailure(message: ([error.message] + fields).joined(separator: "\n"))
    }
}

/// A command that could not do what was asked; ArgumentParser prints it as `Error: …` and exits with 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
