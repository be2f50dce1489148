import AsyncHTTPClient
import Configuration
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import WLApp
import WLDomain
import WLPorts
import WLServices
import WLStore

extension Benchmark {
    /// Starts our server and its local peers (SMTP sink, webhook receiver), runs ``ServerPhases``, and stops them.
    /// With `acceptOnly` the server runs as `role=api` (no workers) and only `/healthz` and the single-recipient
    /// accepts are measured: the most the accept ratio could reach were dispatch and webhooks to cost nothing.
    func measureServer(
        url: String, plan: BenchPlan, wrk: Wrk, folder: URL, logger: Logger, acceptOnly: Bool = false, into figures: inout Figures
    ) async throws {
        let location = StoreLocation(databaseURL: url)
        let (port, smtpPort, receiverPort) = (try freePort(), try freePort(), try freePort())
        let sink = SMTPSink()
        let sinkChannel = try await sink.start(port: smtpPort)
        defer { sinkChannel.close(promise: nil) }
        var values: [AbsoluteConfigKey: ConfigValue] = [
            "database.url": .init(.string(url), isSecret: true), "port": .init(.int(port), isSecret: false), "seed.sandbox": true,
            "log.level": "critical", "dispatch.pollMilliseconds": 20, "webhooks.allowPrivate": true, "smtp.host": "127.0.0.1",
            "smtp.port": .init(.int(smtpPort), isSecret: false), "smtp.tls": "none", "smtp.poolSize": .init(.int(plan.smtpPool), isSecret: false),
            "smtp.defaultFrom": "bench@wl.example", "limits.enabled": false, "seed.allowSandboxInProduction": true,
            "secrets.key": .init(.string(Self.secrets.key ?? ""), isSecret: true), "shutdown.graceSeconds": 5,
        ]
        for setting in plan.settings {
            let (key, value) = try Self.setting(setting)
            values[key] = value
        }
        if acceptOnly { values["role"] = "api" }
        let reader = ConfigReader(provider: InMemoryProvider(values: values))
        let app = try await WLCommApp.buildApplication(reader: reader, logger: logger)
        let receiver = WebhookReceiver()
        var quiet = logger
        quiet.logLevel = .critical  // a receiver cancelled while a delivery's connection is open logs an error; that is how it ends
        let receiverApp = Application(
            router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: receiverPort)), logger: quiet)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: .init(idleTimeout: .seconds(30))))
        // Stopped as `wlcomm serve` stops on SIGTERM (WLCommApp.serve): a graceful shutdown, the server before the
        // receiver (a group stops its services last first), each given 5 s, then 5 s for cancellation.
        var configuration = ServiceGroupConfiguration(services: [receiverApp, app], logger: quiet)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        configuration.maximumCancellationDuration = .seconds(5)
        let services = ServiceGroup(configuration: configuration)
        let running = Running("the server") { try await services.run() }
        do {
            try await waitUntilReady(client, "http://127.0.0.1:\(port)/readyz", running)
            try await waitUntilReady(client, "http://127.0.0.1:\(receiverPort)/", running)
            try await StoreSession.with(location, secrets: Self.secrets, logger: logger) { store in
                let admin = FirmAdmin(store: store, time: SystemTimeSource(), allowPrivateWebhooks: true)
                _ = try await admin.adjustCredits(firm: "sandbox", amount: Credits(whole: 10_000_000), reason: "benchmark")
                if plan.webhookEndpoint {
                    try await admin.setWebhook(firm: "sandbox", url: "http://127.0.0.1:\(receiverPort)/hooks", secret: "benchmark-secret")
                }
            }
            let phases = ServerPhases(
                client: client, port: port, location: location, logger: logger, receiver: receiver, wrk: wrk, plan: plan, folder: folder,
                dispatches: plan.serverDispatches && !acceptOnly)
            if acceptOnly {
                try await runAcceptOnly(phases, into: &figures)
            } else {
                try await run(phases, sink: sink, into: &figures)
            }
        } catch {
            try? await client.shutdown()
            await services.triggerGracefulShutdown()
            await running.waitUntilEnded()
            throw error
        }
        try await client.shutdown()
        await services.triggerGracefulShutdown()
        await running.waitUntilEnded()
    }

    private func run(_ phases: ServerPhases, sink: SMTPSink, into figures: inout Figures) async throws {
        let plan = phases.plan
        figures.healthz = try await phases.healthz()
        say(String(format: "GET /healthz: %.0f req/s", figures.healthz?.acceptedPerSecond ?? 0))
        if plan.runs(.singles) {
            let (singles, endToEnd) = try await phases.singles()
            (figures.singles, figures.singlesEndToEndPerSecond) = (singles, endToEnd)
            say(
                String(
                    format: "POST /sms, 1 recipient: %.0f accepted/s (p50 %.1f ms, p99 %.1f ms, %d not 2xx, %d socket errors); %.0f msg/s to final",
                    singles.acceptedPerSecond, singles.p50Ms, singles.p99Ms, singles.non2xx, singles.socketErrors, endToEnd))
        }
        if plan.runs(.blasts) {
            figures.blastRecipients = plan.blastSize
            (figures.blastAcceptMs, figures.dispatchPerSecond) = try await phases.blasts()
            say(
                String(
                    format: "POST /sms, %d recipients: %.0f ms to 202; dispatch %.0f msg/s (medians of %d)", plan.blastSize,
                    figures.blastAcceptMs, figures.dispatchPerSecond, plan.blasts))
        }
        if plan.runs(.webhooks) {
            (figures.webhookEvents, figures.webhookEventsPerSecond) = try await phases.webhookThroughput()
            say(String(format: "webhooks: %d events at %.0f events/s", figures.webhookEvents, figures.webhookEventsPerSecond))
        }
        if plan.runs(.latency) {
            figures.pacedTargetPerSecond = Double(plan.pacedRate)
            (figures.pacedEvents, figures.pacedEventsPerSecond, figures.pacedP50Ms, figures.pacedP99Ms) = try await phases.webhookLatency()
            say(
                String(
                    format: "webhooks paced at %d events/s: %d events, %.0f events/s arrived, p50 %.0f ms, p99 %.0f ms", plan.pacedRate,
                    figures.pacedEvents, figures.pacedEventsPerSecond, figures.pacedP50Ms, figures.pacedP99Ms))
        }
        if plan.runs(.email) {
            (figures.emails, figures.emailsPerSecond) = try await phases.emails(sink: sink)
            say(String(format: "email: %d emails at %.0f emails/s (pool of %d)", figures.emails, figures.emailsPerSecond, plan.smtpPool))
        }
    }

    private func runAcceptOnly(_ phases: ServerPhases, into figures: inout Figures) async throws {
        figures.acceptOnlyHealthz = try await phases.healthz()
        let (singles, _) = try await phases.singles(first: 60_000_000)
        figures.acceptOnly = singles
        say(
            String(
                format: "workers off (role=api): GET /healthz %.0f req/s; POST /sms, 1 recipient: %.0f accepted/s (p50 %.1f ms, p99 %.1f ms)",
                figures.acceptOnlyHealthz?.acceptedPerSecond ?? 0, singles.acceptedPerSecond, singles.p50Ms, singles.p99Ms))
    }

    /// Waits until `url` answers below 500 (`/readyz` answers 503 until the database does), at most about ten
    /// minutes, and no longer than `running` runs: a server that ended at start-up (say on a database sealed with
    /// another run's secrets key) fails the run at once.
    private func waitUntilReady(_ client: HTTPClient, _ url: String, _ running: Running) async throws {
        for _ in 0..<600 {
            if running.hasEnded { throw BenchmarkError("\(running.name) ended before \(url) answered") }
            if let response = try? await client.execute(HTTPClientRequest(url: url), timeout: .seconds(1)), response.status.code < 500 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkError("\(url) did not become ready")
    }

    /// `key=value` as a setting: an integer, `true`/`false`, or text.
    static func setting(_ text: String) throws -> (AbsoluteConfigKey, ConfigValue) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { throw BenchmarkError("--setting takes KEY=VALUE, not \(text)") }
        let key = AbsoluteConfigKey(parts[0].split(separator: ".").map(String.init))
        if let number = Int(parts[1]) { return (key, .init(.int(number), isSecret: false)) }
        if let flag = Bool(parts[1]) { return (key, .init(.bool(flag), isSecret: false)) }
        return (key, .init(.string(parts[1]), isSecret: false))
    }
}

/// The services of the benchmark running in a task of their own, so that a shutdown that does not end is reported
/// and left behind instead of holding the run forever.
final class Running: Sendable {
    let name: String
    private let ended = Atomic(false)

    init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        Task {
            do { try await body() } catch { say("\(name) ended with: \(error)") }
            self.ended.store(true, ordering: .sequentiallyConsistent)
        }
    }

    /// Whether the task has ended.
    var hasEnded: Bool { ended.load(ordering: .sequentiallyConsistent) }

    /// Waits at most `limit` for the task to end, and says so when it did not.
    func waitUntilEnded(within limit: Duration = .seconds(15)) async {
        let deadline = ContinuousClock.now + limit
        while !ended.load(ordering: .sequentiallyConsistent), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if !ended.load(ordering: .sequentiallyConsistent) { say("warning: \(name) did not stop within \(limit) of its shutdown") }
    }
}
