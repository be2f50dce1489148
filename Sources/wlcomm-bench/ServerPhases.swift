import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import WLApp
import WLDomain
import WLPorts
import WLServices
import WLStore

/// The phases run against our server, which listens on `port` with the sandbox firm's webhook pointing at
/// `receiver`. Accept rates come from ``Wrk``; single big requests (a blast, an email blast) from AsyncHTTPClient,
/// where the generator costs nothing that matters.
struct ServerPhases: Sendable {
    let client: HTTPClient
    let port: Int
    let location: StoreLocation
    let logger: Logger
    let receiver: WebhookReceiver
    let wrk: Wrk
    let plan: BenchPlan
    let folder: URL
    /// Whether the server runs its workers (not with `role=api`): whether anything it accepts is ever dispatched.
    let dispatches: Bool

    var base: String { "http://127.0.0.1:\(port)/api/v1/communication" }

    /// `GET /healthz` under wrk: the ceiling of this server's HTTP stack on this machine.
    func healthz() async throws -> Wrk.Result {
        try await wrk.run(.get, url: "http://127.0.0.1:\(port)/healthz", connections: plan.connections, seconds: plan.loadSeconds, folder: folder)
    }

    /// Single-recipient `POST /sms` under wrk, to numbers counting up from 2547`first`; returns wrk's figures and
    /// the accepted messages per second from the first request until none is pending or processing. Then waits
    /// until their webhooks stop arriving, so that the next phase starts with an empty outbox. A server without
    /// workers (`role=api`) dispatches nothing: then only the accept rate is measured and the end-to-end rate is 0.
    func singles(first: Int = 20_000_000) async throws -> (Wrk.Result, endToEnd: Double) {
        let load = Wrk.Load.postSMS(apiKey: SandboxSeeder.sandboxKey.secret, first: first)
        guard dispatches else {
            return (try await wrk.run(load, url: base + "/sms", connections: plan.connections, seconds: plan.loadSeconds, folder: folder), 0)
        }
        let (result, started) = try await withProbe { probe in
            let started = ContinuousClock.now
            let result = try await wrk.run(load, url: base + "/sms", connections: plan.connections, seconds: plan.loadSeconds, folder: folder)
            try await waitForDispatch(probe)
            return (result, started)
        }
        let endToEnd = Double(result.accepted) / max(milliseconds(ContinuousClock.now - started) / 1000, 0.001)
        try await receiver.waitUntilQuiet()
        return (result, endToEnd)
    }

    /// Blasts of `plan.blastSize`: the median time to 202, and the median messages per second from 202 to final.
    func blasts() async throws -> (acceptMs: Double, dispatchPerSecond: Double) {
        let body = blastBody(first: 30_000_000, count: plan.blastSize, text: "Benchmark blast")
        return try await withProbe { probe in
            var accepts: [Double] = []
            var rates: [Double] = []
            for _ in 0..<plan.blasts {
                receiver.startWindow()
                let began = ContinuousClock.now
                try await post(base + "/sms", body)
                let accepted = ContinuousClock.now
                accepts.append(milliseconds(accepted - began))
                try await waitForDispatch(probe)
                rates.append(Double(plan.blastSize) / max(milliseconds(ContinuousClock.now - accepted) / 1000, 0.001))
                if plan.webhookEndpoint { try await receiver.waitForWindow(2 * plan.blastSize) }
            }
            return (median(accepts), median(rates))
        }
    }

    /// One blast of `plan.webhookRecipients` (two events each: processing, then delivered): events delivered per
    /// second, first to last receipt.
    func webhookThroughput() async throws -> (events: Int, perSecond: Double) {
        receiver.startWindow()
        let expected = 2 * plan.webhookRecipients
        try await post(base + "/sms", blastBody(first: 40_000_000, count: plan.webhookRecipients, text: "Benchmark webhooks"))
        try await receiver.waitForWindow(expected)
        return (expected, receiver.current.eventsPerSecond)
    }

    /// Status changes at `plan.pacedRate` events per second for `plan.pacedSeconds` (a small blast every 50 ms),
    /// and the time from each status change to its receipt.
    func webhookLatency() async throws -> (events: Int, perSecond: Double, p50: Double, p99: Double) {
        receiver.startWindow()
        let tick = Duration.milliseconds(50)
        let ticks = plan.pacedSeconds * 20
        let perTick = max(1, plan.pacedRate / 2 / 20)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<ticks {
                try await Task.sleep(until: start + tick * index, clock: .continuous)
                let body = blastBody(first: 50_000_000 + index * perTick, count: perTick, text: "Benchmark latency")
                group.addTask { try await post(base + "/sms", body) }
            }
            try await group.waitForAll()
        }
        let expected = 2 * ticks * perTick
        try await receiver.waitForWindow(expected)
        let window = receiver.current
        return (expected, window.eventsPerSecond, window.latency(50), window.latency(99))
    }

    /// One `POST /email` to `plan.emailRecipients` of a live firm, through our SMTP client to `sink`: emails per
    /// second from the request to the last email received.
    func emails(sink: SMTPSink) async throws -> (emails: Int, perSecond: Double) {
        let key = try await StoreSession.with(location, secrets: Benchmark.secrets, logger: logger) { store in
            let admin = FirmAdmin(store: store, time: SystemTimeSource())
            _ = try await admin.createFirm(try NewFirm(slug: "bench-mail", name: "Bench Mail", smsRate: KES(cents: 100), mode: .live))
            return try await admin.createKey(firm: "bench-mail", label: "bench").key.secret
        }
        let count = plan.emailRecipients
        let before = sink.received.withLock { $0 }
        let addresses = (0..<count).map { "\"user\($0)@example.com\"" }.joined(separator: ",")
        let started = ContinuousClock.now
        try await post(
            base + "/email",
            #"{"subject":"Benchmark ✓","message":"<p>Hello {first_name}, <a href=\"https://example.com/pay\">pay</a></p>","recipients":[\#(addresses)]}"#,
            key: key)
        var received = 0
        var lastChange = ContinuousClock.now
        while received < count, ContinuousClock.now - lastChange < .seconds(30) {
            try await Task.sleep(for: .milliseconds(5))
            let now = sink.received.withLock { $0 } - before
            if now != received { (received, lastChange) = (now, .now) }
        }
        guard received >= count else { throw BenchmarkError("email: only \(received) of \(count) emails arrived") }
        return (count, Double(count) / max(milliseconds(ContinuousClock.now - started) / 1000, 0.001))
    }

    /// Waits until no SMS is pending or processing (the phases that wait send only the sandbox firm's SMS): none
    /// queued or charged (the dispatch queue's two partial indexes, free and leased) and none submitted and waiting
    /// for its report (the expiry's partial index). So the check, run every 5 ms, reads only open messages and takes next to no CPU from
    /// the server it measures (a filter on the firm made SQLite scan all of its messages instead, 6 ms a check).
    /// Each check is ordered by its index's key: PostgreSQL then walks the index and stops at the first live row,
    /// marking the dead entries it passes so the next check skips them; unordered, it built a bitmap of every entry
    /// the blast had left dead in the index each time (3 ms a check, a fifth of a core during dispatch).
    func waitForDispatch(_ probe: SQLStore) async throws {
        while try await probe.database.read({ connection in
            try await connection.query(
                """
                SELECT id FROM (SELECT id FROM messages WHERE stage IN ('queued', 'charged') AND lease_owner IS NULL
                    ORDER BY due_at, id LIMIT 1) AS f
                UNION ALL SELECT id FROM (SELECT id FROM messages WHERE stage IN ('queued', 'charged') AND lease_owner IS NOT NULL
                    ORDER BY lease_until LIMIT 1) AS l
                """, []
            ).count + connection.query("SELECT id FROM messages WHERE stage = 'submitted' ORDER BY sent_at LIMIT 1", []).count
        }) > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Runs `body` with the server's database opened once beside it, for ``waitForDispatch(_:)``. Opened before a
    /// phase's clock starts: opening it (connections, the migration check, which on SQLite takes the write lock) inside
    /// each blast's dispatch window counted the benchmark's own set-up against the server.
    private func withProbe<T: Sendable>(_ body: @Sendable (SQLStore) async throws -> T) async throws -> T {
        try await StoreSession.with(location, secrets: Benchmark.secrets, logger: logger, body)
    }

    private func blastBody(first: Int, count: Int, text: String) -> String {
        let numbers = (0..<count).map { "\"2547\(String(format: "%08d", first + $0))\"" }.joined(separator: ",")
        return #"{"message":"\#(text)","recipients":[\#(numbers)]}"#
    }

    private func post(_ url: String, _ body: String, key: String = SandboxSeeder.sandboxKey.secret) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "X-API-Key", value: key)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 24)
        guard response.status == .accepted else { throw BenchmarkError("\(url) answered \(response.status.code)") }
    }
}

/// The middle value (the upper middle of an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}
