import ArgumentParser
import Configuration
import Logging
import Metrics
import Prometheus
import WLApp
import WLDomain
import WLPorts
import WLServices

/// `wlcomm serve`: the API and its workers in one process (or one of the two, with `--role`).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the API server (migrates the database first).")

    @Option(help: "Address to listen on. Env: WLCOMM_HOST. Default 127.0.0.1.")
    var host: String?

    @Option(help: "Port to listen on. Env: WLCOMM_PORT. Default 8080.")
    var port: Int?

    @Flag(help: "Create the sandbox firm and key if missing. Env: WLCOMM_SEED_SANDBOX=true.")
    var seedSandbox = false

    @Flag(
        help: """
            Let --seed-sandbox run although live providers are configured: the sandbox key is public, so anyone could \
            use this server. Env: WLCOMM_SEED_ALLOW_SANDBOX_IN_PRODUCTION=true.
            """)
    var allowSandboxInProduction = false

    @Flag(help: "Let webhooks reach loopback and private addresses (development only). Env: WLCOMM_WEBHOOKS_ALLOW_PRIVATE=true.")
    var webhooksAllowPrivate = false

    @Option(
        help: """
            all: the API and every worker; api: the API only, no background workers; worker: every worker, and HTTP \
            only for /healthz, /readyz and /metrics. Env: WLCOMM_ROLE. Default all.
            """)
    var role: String?

    @Option(help: "text (for people) or json (one object per line, for log collectors). Env: WLCOMM_LOG_FORMAT. Default text.")
    var logFormat: String?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if let role, ServerRole(rawValue: role) == nil { throw ValidationError("--role must be all, api or worker, not \(role).") }
        if let logFormat, LogFormat(rawValue: logFormat) == nil { throw ValidationError("--log-format must be text or json, not \(logFormat).") }
    }

    func run() async throws {
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        if let host { flags["host"] = ConfigValue(.string(host), isSecret: false) }
        if let port { flags["port"] = ConfigValue(.int(port), isSecret: false) }
        if seedSandbox { flags["seed.sandbox"] = ConfigValue(.bool(true), isSecret: false) }
        if allowSandboxInProduction { flags["seed.allowSandboxInProduction"] = ConfigValue(.bool(true), isSecret: false) }
        if webhooksAllowPrivate { flags["webhooks.allowPrivate"] = ConfigValue(.bool(true), isSecret: false) }
        if let role { flags["role"] = ConfigValue(.string(role), isSecret: false) }
        if let logFormat { flags["log.format"] = ConfigValue(.string(logFormat), isSecret: false) }
        let reader = try await options.reader(extra: flags)
        let settings = AppSettings(reader: reader)
        try settings.checkLogFormat()
        switch settings.logFormat {
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        case .text: LoggingSystem.bootstrap { TextLogHandler(label: $0) }
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        try await WLCommApp.serve(reader: reader, metrics: registry)
    }
}

/// `wlcomm migrate`: apply pending migrations and exit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await options.withAdmin { _, _ in }
        print("database is up to date")
    }
}

/// `wlcomm seed-sandbox`: the contract's sandbox firm and key (replaces `php artisan db:seed`).
struct SeedSandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-sandbox", abstract: "Create the sandbox firm, key, contacts and console user (idempotent).")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Seed even with live providers configured: the sandbox key is public.")
    var allowSandboxInProduction = false

    func run() async throws {
        // The same guard as `serve --seed-sandbox`: the published key must not become a tenant beside live providers.
        var settings = AppSettings(reader: try await options.reader())
        settings.seedSandbox = true
        settings.allowSandboxInProduction = settings.allowSandboxInProduction || allowSandboxInProduction
        try settings.checkSandboxSeeding()
        let firm = try await options.withAdmin { _, store in
            try await SandboxSeeder(store: store, time: SystemTimeSource()).seed()
        }
        try await options.withConsole { accounts, _ in try await accounts.seedSandboxUser(firm: firm) }
        try options.output(firm) {
            "sandbox firm \($0.slug) (id \($0.id)) ready; API key wl_test_communication_sms_sandbox; console user \(ConsoleAccounts.sandboxEmail), password \(ConsoleAccounts.sandboxPassword)"
        }
    }
}
