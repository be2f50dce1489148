import ArgumentParser
import AsyncHTTPClient
import Configuration
import Foundation
import Hummingbird
import Logging
import NIOCore
import WLApp
import WLDomain
import WLPorts
import WLServices
import WLStore

/// `wlcomm-bench`: how fast the service accepts and dispatches SMS, on SQLite or PostgreSQL, as ratios against
/// figures measured in the same run on the same machine (docs/benchmarks.md).
///
/// First Kannel (``KannelRig``), alone on the machine, under `wrk` at `--connections`: accepted `sendsms` per second
/// and messages per second to its fake SMSC. Then the real server (the same composition root as `wlcomm serve`) on
/// a free local port with a fresh database; the sandbox firm gets plenty of credits and a webhook endpoint on a
/// local receiver (so every message writes its debit, its events and its webhook outbox rows). Over real HTTP:
/// 1. `GET /healthz` and single-recipient `POST /sms` accepted per second under the same wrk load, their ratio,
///    and the single-recipient messages final per second from the first request; ours ÷ Kannel for both rates;
/// 2. milliseconds to accept one blast and messages per second from its 202 to final (medians);
/// 3. webhook events per second delivered to the local receiver, and the time from each status change to its
///    receipt with status changes paced at 1,000 events per second (p50, p99);
/// 4. emails per second from `POST /email` to a local SMTP server (our SMTP client, its pool, MIME, tracking);
/// 5. the same server restarted with its workers off (`role=api`) on the same database: `/healthz` and the
///    single-recipient accepts again, whose ratio bounds step 1's (what accepting alone costs).
/// `--html-only` times HTML-to-text and link tracking instead (``HTMLBenchmark``).
@main
struct Benchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wlcomm-bench", abstract: "Measure SMS accept and dispatch speed.")

    @Option(help: "postgres://… (a database this run may fill), or empty for a new SQLite file.") var databaseURL: String?
    @Flag(help: "Small counts (2 s loads, a 1,000-recipient blast) for CI.") var short = false
    @Option(help: "Connections of every wrk run (default 64).") var connections: Int?
    @Option(help: "Seconds of every wrk run (default 10, short 2).") var seconds: Int?
    @Option(help: "Recipients per blast (default 10,000, short 1,000).") var blastSize: Int?
    @Option(help: "Blasts to time; the medians are printed (default 3, short 1).") var blasts: Int?
    @Option(help: "Recipients of the webhook throughput phase, two events each (default 5,000, short 500).") var webhookRecipients: Int?
    @Option(help: "Seconds of the webhook latency phase at 1,000 events/s (default 10, short 2).") var pacedSeconds: Int?
    @Option(help: "Recipients of the email phase (default 2,000, short 300).") var emailRecipients: Int?
    @Option(help: "SMTP connections in the pool.") var smtpPool = 8
    @Flag(help: "Do not measure Kannel.") var noKannel = false
    @Flag(help: "Give the sandbox firm no webhook endpoint, so no event is POSTed (only with --only singles).")
    var noWebhookEndpoint = false
    @Option(help: "Also write every figure to this JSON file.") var json: String?
    @Flag(help: "Only time HTML-to-text and link tracking on degenerate bodies (no server).") var htmlOnly = false
    @Option(
        name: .customLong("setting"),
        help: "A server setting for this run, KEY=VALUE (repeatable), e.g. database.preparedStatements=0 or dispatch.batchSize=500.")
    var settings: [String] = []
    @Option(
        help: "Only these server phases, comma-separated: singles, blasts, webhooks, latency, email (for A/B runs; /healthz always runs).")
    var only: String?

    /// The key that seals stored secrets for this run's database (PostgreSQL needs one).
    static let secrets = SecretKeySettings(key: SecretBox.generateKey())

    #if DEBUG
    static let build = "debug"
    #else
    static let build = "release"
    #endif

    var plan: BenchPlan {
        var plan = short ? BenchPlan.short : BenchPlan()
        plan.connections = connections ?? plan.connections
        plan.loadSeconds = seconds ?? plan.loadSeconds
        plan.blastSize = blastSize ?? plan.blastSize
        plan.blasts = blasts ?? plan.blasts
        plan.webhookRecipients = webhookRecipients ?? plan.webhookRecipients
        plan.pacedSeconds = pacedSeconds ?? plan.pacedSeconds
        plan.emailRecipients = emailRecipients ?? plan.emailRecipients
        plan.smtpPool = smtpPool
        plan.settings = settings
        plan.webhookEndpoint = !noWebhookEndpoint
        plan.phases = Set((only ?? "").split(separator: ",").compactMap { BenchPhase(rawValue: $0.trimmingCharacters(in: .whitespaces)) })
        return plan
    }

    func run() async throws {
        if htmlOnly { return HTMLBenchmark.run() }
        guard let wrk = Wrk.find() else { throw BenchmarkError("wrk is not installed (Debian: apt-get install wrk); scripts/bench.sh installs it") }
        // The server in this process logs as `wlcomm serve` does by default.
        LoggingSystem.bootstrap { TextLogHandler(label: $0) }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = plan
        if let problem = plan.problem { throw BenchmarkError(problem) }
        let url = databaseURL ?? folder.appendingPathComponent("bench.sqlite").path
        var figures = Figures()
        figures.engine = StoreLocation(databaseURL: url).engineName
        figures.build = Self.build
        figures.date = ISO8601DateFormatter().string(from: Date())
        figures.cores = ProcessInfo.processInfo.activeProcessorCount
        figures.short = short
        figures.connections = plan.connections
        figures.loadSeconds = plan.loadSeconds
        say("engine: \(figures.engine), \(Self.build) build, \(figures.cores) cores, wrk -t1 -c\(plan.connections) -d\(plan.loadSeconds)s")
        if !plan.settings.isEmpty { say("settings: \(plan.settings.joined(separator: " "))") }
        if !plan.webhookEndpoint { say("webhook endpoint: none (no event is POSTed)") }
        // Kannel first, on a machine where nothing else of ours runs yet; then our server.
        if noKannel {
            figures.kannelNote = "skipped (--no-kannel)"
        } else if let kannel = KannelRig.find() {
            let kannelFolder = folder.appendingPathComponent("kannel", isDirectory: true)
            let measured = try await kannel.measure(wrk: wrk, connections: plan.connections, seconds: plan.loadSeconds, folder: kannelFolder)
            say(
                String(
                    format: "kannel sendsms: %.0f accepted/s (p50 %.1f ms, p99 %.1f ms); %d of %d to the fake SMSC, %.0f msg/s end to end",
                    measured.acceptedPerSecond, measured.p50Ms, measured.p99Ms, measured.delivered, measured.accepted, measured.endToEndPerSecond))
            figures.kannel = measured
        } else {
            say("kannel: not installed")
            figures.kannelNote = "not installed"
        }
        try await measureServer(url: url, plan: plan, wrk: wrk, folder: folder, logger: logger, into: &figures)
        if plan.runs(.singles), plan.serverDispatches {
            try await measureServer(url: url, plan: plan, wrk: wrk, folder: folder, logger: logger, acceptOnly: true, into: &figures)
        }
        figures.tabulate()
        say("")
        say(figures.table)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            try encoder.encode(figures).write(to: URL(fileURLWithPath: json))
            say("json: \(json)")
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints `line` at once, also through a pipe (`print` would hold it in a buffer until the run ends).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Milliseconds in a duration.
func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// A TCP port on 127.0.0.1 that is free right now.
func freePort() throws -> Int {
    try ServerBootstrapPortFinder.bind()
}

extension StoreLocation {
    var engineName: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}
