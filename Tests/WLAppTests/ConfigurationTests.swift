import Configuration
import Foundation
import Logging
import Testing
import WLApp
import WLPorts
import WLStore

@Suite struct ConfigurationTests {
    func withConfigFile(_ json: String, _ body: (String) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path)
    }

    @Test func flagsBeatEnvironmentBeatsFileBeatsDefaults() async throws {
        try await withConfigFile(#"{"port": 7000, "host": "0.0.0.0", "database": {"url": "file.sqlite"}, "log": {"level": "debug"}}"#) { file in
            let reader = try await ConfigReader.wlcomm(
                flags: ["port": 9000], environment: ["WLCOMM_PORT": "8000", "WLCOMM_DATABASE_URL": "postgres://u:p@db:5432/wl"], configFile: file)
            let settings = AppSettings(reader: reader)
            #expect(settings.port == 9000)
            #expect(settings.store == .postgres(url: "postgres://u:p@db:5432/wl"))
            #expect(settings.host == "0.0.0.0")
            #expect(settings.logLevel == .debug)
            #expect(settings.seedSandbox == false)
        }
    }

    @Test func defaultsApplyWhenNothingIsSet() async throws {
        let settings = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: [:], configFile: nil))
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.store == .sqlite(path: "./data/wlcomm.sqlite"))
        #expect(settings.logLevel == .info)
    }

    @Test func webhookConcurrencyIsReadAndNeverBelowOne() async throws {
        let defaults = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: [:], configFile: nil))
        #expect(defaults.webhookConcurrency == 8)
        let set = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_WEBHOOKS_CONCURRENCY": "32"], configFile: nil))
        #expect(set.webhookConcurrency == 32)
        let zero = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_WEBHOOKS_CONCURRENCY": "0"], configFile: nil))
        #expect(zero.webhookConcurrency == 1)
    }

    @Test func webhooksYieldToDispatchForOneSecondUnlessSet() async throws {
        let defaults = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: [:], configFile: nil))
        #expect(defaults.webhookYield == .seconds(1))
        let set = AppSettings(
            reader: try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_WEBHOOKS_YIELD_TO_DISPATCH_MILLISECONDS": "250"], configFile: nil)
        )
        #expect(set.webhookYield == .milliseconds(250))
        let off = AppSettings(
            reader: try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_WEBHOOKS_YIELD_TO_DISPATCH_MILLISECONDS": "0"], configFile: nil))
        #expect(off.webhookYield == nil)
    }

    @Test func environmentSeedsTheSandbox() async throws {
        let settings = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_SEED_SANDBOX": "true"], configFile: nil))
        #expect(settings.seedSandbox)
    }

    @Test func aNamedConfigFileMustExist() async throws {
        let error = await #expect(throws: (any Error).self) {
            _ = try await ConfigReader.wlcomm(flags: [:], environment: [:], configFile: "/nonexistent/wlcomm.json")
        }
        // swift-configuration's FileSystemError.fileNotFound is a `package` type the tests cannot name: its text must
        // name the missing file.
        #expect(error.map { String(describing: $0).contains("/nonexistent/wlcomm.json") } == true)
    }

    @Test(arguments: [
        ("postgres://a@b/c", StoreLocation.postgres(url: "postgres://a@b/c")),
        ("postgresql://a@b/c", .postgres(url: "postgresql://a@b/c")),
        ("POSTGRES://a@b/c", .postgres(url: "POSTGRES://a@b/c")),
        ("SQLite:/tmp/x.db", .sqlite(path: "/tmp/x.db")),
        ("sqlite:/tmp/x.db", .sqlite(path: "/tmp/x.db")),
        ("/tmp/y.sqlite", .sqlite(path: "/tmp/y.sqlite")),
        ("", .sqlite(path: "./data/wlcomm.sqlite")),
    ])
    func databaseURLsChooseTheEngine(url: String, location: StoreLocation) throws {
        #expect(StoreLocation(databaseURL: url) == location)
        try StoreLocation(databaseURL: url).check()
    }

    @Test func aDatabaseURLOfAnotherSchemeIsRefusedNotTakenForAFile() async throws {
        let location = StoreLocation(databaseURL: "mysql://root@db/wl")
        let refusal = StoreError.invalidURL(
            "unsupported database URL scheme \"mysql\": use postgres://user:password@host:port/database or a SQLite file path")
        #expect(throws: refusal) { try location.check() }
        await #expect(throws: refusal) { _ = try await location.open(logger: Logger(label: "test")) }
    }
}

@Suite struct StartupSummaryTests {
    @Test func theFirstLineNamesVersionEngineRoleProvidersAndLimitsButNoSecret() async throws {
        let reader = try await ConfigReader.wlcomm(
            flags: [:],
            environment: [
                "WLCOMM_DATABASE_URL": "postgres://wl:db-password@db:5432/wl", "WLCOMM_AFRICASTALKING_USERNAME": "acme",
                "WLCOMM_AFRICASTALKING_API_KEY": "at-api-key-secret", "WLCOMM_ROLE": "worker", "WLCOMM_LIMITS_ENABLED": "false",
            ], configFile: nil)
        let summary = AppSettings(reader: reader).startupSummary
        #expect(summary["version"] == .string(WLCommApp.version))
        #expect(summary["engine"] == "PostgreSQL, pool of 20")
        #expect(summary["role"] == "worker")
        #expect(summary["live_sms"] == "Africa's Talking")
        #expect(summary["live_email"] == "not configured")
        #expect(summary["rate_limits"] == "off")
        let text = summary.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        #expect(!text.contains("at-api-key-secret") && !text.contains("db-password"))
    }
}

@Suite struct ConfigShowTests {
    @Test func everySettingShowsItsValueAndSourceWithSecretsRedacted() async throws {
        let providers = try await ConfigReader.wlcommProviders(
            flags: ["port": 9090],
            environment: [
                "WLCOMM_PORT": "7070", "WLCOMM_HOST": "0.0.0.0", "WLCOMM_METRICS_TOKEN": "hunter2-token", "WLCOMM_DATABASE_URL": "x.sqlite",
            ],
            configFile: nil)
        let entries = Dictionary(uniqueKeysWithValues: AppSettings.provenance(providers: providers).map { ($0.key, $0) })
        #expect(entries["port"]?.value == "9090" && entries["port"]?.source == "flag")
        #expect(entries["host"]?.value == "0.0.0.0" && entries["host"]?.source == "environment")
        #expect(entries["dispatch.batchSize"]?.value == "200" && entries["dispatch.batchSize"]?.source == "default")
        #expect(entries["metrics.token"]?.value == "<redacted>" && entries["metrics.token"]?.secret == true)
        #expect(entries["database.url"]?.value == "<redacted>")
        #expect(entries["secrets.key"]?.value == nil)
        #expect(!entries.values.contains { $0.value?.contains("hunter2") == true })
    }
}
