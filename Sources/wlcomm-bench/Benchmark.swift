import ArgumentParser
import AsyncHTTPClient
import Configuration
import Foundation
import Hummingbird
import Logging
import NIOCore
import WLApp
import WLDomain
import WLServices
import WLStore

/// `wlcomm-bench`: prints how fast the service accepts and dispatches SMS, on SQLite or PostgreSQL.
///
/// It starts the real server (the same composition root as `wlcomm serve`) on a free local port with a fresh
/// database, gives the sandbox firm plenty of credits, and measures over real HTTP:
/// 1. accepted requests per second for `POST /sms` with one recipient (`--requests` at `--concurrency`);
/// 2. milliseconds to accept one 10,000-recipient blast (median of `--blasts`);
/// 3. messages per second through the dispatcher and the sandbox provider, for the last blast;
/// 4. webhook events per second delivered to a local receiver, and the time from each status change to its receipt
///    (p50, p99);
/// 5. emails per second from `POST /email` to a local SMTP server (our SMTP client, its connection pool, MIME and
///    tracking), for one blast of `--email-recipients`.
/// `--html-only` times HTML-to-text and link tracking instead (``HTMLBenchmark``).
@main
struct Benchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wlcomm-bench", abstract: "Measure SMS accept and dispatch speed.")

    @Option(help: "postgres://… (a database this run may fill), or empty for a new SQLite file.") var databaseURL: String?
    @Option(help: "Single-recipient POST /sms requests.") var requests = 2_000
    @Option(help: "Requests in flight at once.") var concurrency = 32
    @Option(help: "Recipients per blast.") var blastSize = 10_000
    @Option(help: "Blasts to time (the median is printed).") var blasts = 3
    @Option(help: "Recipients of the webhook phase (two events each).") var webhookRecipients = 2_000
    @Option(help: "Recipients of the email phase.") var emailRecipients = 2_000
    @Option(help: "SMTP connections in the pool.") var smtpPool = 8
    @Flag(help: "Only time HTML-to-text and link tracking on degenerate bodies (no server).") var htmlOnly = false

    /// The key that seals stored secrets for this run's database (PostgreSQL needs one).
    static let secrets = SecretKeySettings(key: SecretBox.generateKey())

    func run() async throws {
        if htmlOnly { return HTMLBenchmark.run() }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = databaseURL ?? folder.appendingPathComponent("bench.sqlite").path
        let location = StoreLocation(databaseURL: url)
        let port = try freePort()
        let sink = SMTPSink()
        let smtpPort = try freePort()
        let sinkChannel = try await sink.start(port: smtpPort)
        defer { sinkChannel.close(promise: nil) }
        let reader = ConfigReader(
            provider: InMemoryProvider(values: [
                "database.url": .init(.string(url), isSecret: true), "port": .init(.int(port), isSecret: false), "seed.sandbox": true,
                "log.level": "critical", "dispatch.pollMilliseconds": 20, "webhooks.allowPrivate": true, "smtp.host": "127.0.0.1",
                "smtp.port": .init(.int(smtpPort), isSecret: false), "smtp.tls": "none", "smtp.poolSize": .init(.int(smtpPool), isSecret: false),
                "smtp.defaultFrom": "bench@wl.example", "limits.enabled": false, "seed.allowSandboxInProduction": true,
                "secrets.key": .init(.string(Self.secrets.key ?? ""), isSecret: true),
            ]))
        let app = try await WLCommApp.buildApplication(reader: reader, logger: logger)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: .init(idleTimeout: .seconds(30))))
        let base = "http://127.0.0.1:\(port)/api/v1/communication"
        defer { _ = client.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            defer { group.cancelAll() }
            try await waitUntilReady(client, "http://127.0.0.1:\(port)/readyz")
            try await StoreSession.with(location, secrets: Self.secrets, logger: logger) { store in
                _ = try await FirmAdmin(store: store, time: SystemTimeSource()).adjustCredits(
                    firm: "sandbox", amount: Credits(whole: 10_000_000), reason: "benchmark")
            }
            print("engine: \(location.engineName), \(ProcessInfo.processInfo.activeProcessorCount) cores")
            try await acceptSingles(client, base)
            try await waitForDispatch(location, logger: logger)
            try await acceptBlasts(client, base, location: location, logger: logger)
            try await webhooks(client, base, location: location, logger: logger)
            try await emails(client, base, sink: sink, location: location, logger: logger)
        }
    }

    private func emails(_ client: HTTPClient, _ base: String, sink: SMTPSink, location: StoreLocation, logger: Logger) async throws {
        let key = try await StoreSession.with(location, secrets: Self.secrets, logger: logger) { store in
            let admin = FirmAdmin(store: store, time: SystemTimeSource())
            _ = try await admin.createFirm(try NewFirm(slug: "bench-mail", name: "Bench Mail", smsRate: KES(cents: 100), mode: .live))
            return try await admin.createKey(firm: "bench-mail", label: "bench").key.secret
        }
        let addresses = (0..<emailRecipients).map { "\"user\($0)@example.com\"" }.joined(separator: ",")
        let started = ContinuousClock.now
        try await post(
            client, base + "/email",
            #"{"subject":"Benchmark ✓","message":"<p>Hello {first_name}, <a href=\"https://example.com/pay\">pay</a></p>","recipients":[\#(addresses)]}"#,
            key: key)
        for _ in 0..<120_000 where sink.received.withLock({ $0 }) < emailRecipients { try await Task.sleep(for: .milliseconds(5)) }
        let elapsed = ContinuousClock.now - started
        let received = sink.received.withLock { $0 }
        guard received >= emailRecipients else { throw BenchmarkError("only \(received) of \(emailRecipients) emails arrived") }
        print(
            String(
                format: "email: %d emails from POST /email to a local SMTP server in %.0f ms: %.0f emails/s (pool of %d connections)",
                emailRecipients, milliseconds(elapsed), Double(emailRecipients) / max(milliseconds(elapsed) / 1000, 0.001), smtpPool))
    }

    private func acceptSingles(_ client: HTTPClient, _ base: String) async throws {
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    for index in stride(from: worker, to: requests, by: concurrency) {
                        let number = "2547\(String(format: "%08d", 20_000_000 + index))"
                        let began = ContinuousClock.now
                        try await post(client, base + "/sms", #"{"message":"Benchmark","recipients":["\#(number)"]}"#)
                        latencies.append(milliseconds(ContinuousClock.now - began))
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }.sorted()
        }
        let seconds = milliseconds(ContinuousClock.now - start) / 1000
        print(
            String(
                format: "POST /sms, 1 recipient: %d requests at concurrency %d: %.0f accepted/s (p50 %.1f ms, p99 %.1f ms)", requests,
                concurrency, Double(requests) / seconds, latencies[latencies.count / 2], latencies[latencies.count * 99 / 100]))
    }

    private func acceptBlasts(_ client: HTTPClient, _ base: String, location: StoreLocation, logger: Logger) async throws {
        let numbers = (0..<blastSize).map { "\"2547\(String(format: "%08d", 30_000_000 + $0))\"" }.joined(separator: ",")
        let body = #"{"message":"Benchmark blast","recipients":[\#(numbers)]}"#
        var timings: [Double] = []
        var dispatchRate = 0.0
        for _ in 0..<blasts {
            let began = ContinuousClock.now
            try await post(client, base + "/sms", body)
            timings.append(milliseconds(ContinuousClock.now - began))
            let dispatchStart = ContinuousClock.now
            try await waitForDispatch(location, logger: logger)
            dispatchRate = Double(blastSize) / (milliseconds(ContinuousClock.now - dispatchStart) / 1000)
        }
        timings.sort()
        print(String(format: "POST /sms, %d recipients: %.0f ms to accept (median of %d)", blastSize, timings[timings.count / 2], blasts))
        print(String(format: "dispatch through the sandbox provider: %.0f messages/s (last blast of %d)", dispatchRate, blastSize))
    }

    private func webhooks(_ client: HTTPClient, _ base: String, location: StoreLocation, logger: Logger) async throws {
        let receiver = WebhookReceiver()
        let receiverPort = try freePort()
        let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: receiverPort)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiverApp.run() }
            defer { group.cancelAll() }
            try await Task.sleep(for: .milliseconds(200))
            try await StoreSession.with(location, secrets: Self.secrets, logger: logger) { store in
                try await FirmAdmin(store: store, time: SystemTimeSource(), allowPrivateWebhooks: true).setWebhook(
                    firm: "sandbox", url: "http://127.0.0.1:\(receiverPort)/hooks", secret: "benchmark-secret")
            }
            let numbers = (0..<webhookRecipients).map { "\"2547\(String(format: "%08d", 40_000_000 + $0))\"" }.joined(separator: ",")
            try await post(client, base + "/sms", #"{"message":"Benchmark webhooks","recipients":[\#(numbers)]}"#)
            let expected = webhookRecipients * 2
            for _ in 0..<60_000 where receiver.count < expected { try await Task.sleep(for: .milliseconds(10)) }
            let latencies = receiver.latencies.withLock { $0 }.sorted()
            let (first, last) = receiver.firstAndLast.withLock { $0 }
            guard latencies.count >= expected, let first, let last else {
                throw BenchmarkError("only \(latencies.count) of \(expected) webhooks arrived")
            }
            print(
                String(
                    format: "webhooks: %d events delivered at %.0f events/s; status change to receipt p50 %.0f ms, p99 %.0f ms", expected,
                    Double(expected) / max(last.timeIntervalSince(first), 0.001), latencies[latencies.count / 2],
                    latencies[latencies.count * 99 / 100]))
        }
    }

    /// Waits until no SMS is pending or processing.
    private func waitForDispatch(_ location: StoreLocation, logger: Logger) async throws {
        try await StoreSession.with(location, secrets: Self.secrets, logger: logger) { store in
            while true {
                var open = 0
                for status in [MessageStatus.pending, .processing] {
                    open += try await store.messages(firmID: 1, filter: MessageFilter(channel: .sms, status: status), limit: 1, startingAfter: nil)
                        .count
                }
                if open == 0 { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    private func post(_ client: HTTPClient, _ url: String, _ body: String, key: String = SandboxSeeder.sandboxKey.secret) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "X-API-Key", value: key)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 24)
        guard response.status == .accepted else { throw BenchmarkError("\(url) answered \(response.status.code)") }
    }

    private func waitUntilReady(_ client: HTTPClient, _ url: String) async throws {
        for _ in 0..<600 {
            if let response = try? await client.execute(HTTPClientRequest(url: url), timeout: .seconds(1)), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkError("the server did not become ready")
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Milliseconds in a duration.
func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// A TCP port on 127.0.0.1 that is free right now.
func freePort() throws -> Int {
    let channel = try ServerBootstrapPortFinder.bind()
    return channel
}

extension StoreLocation {
    var engineName: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}
