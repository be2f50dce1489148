import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

/// A webhook receiver in memory: records every POST and answers from a script.
final class RecordingTransport: WebhookTransport {
    struct Post: Sendable {
        var url: String
        var headers: [String: String]
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
    }

    let posts = Mutex<[Post]>([])
    let answer: @Sendable (_ index: Int) -> Int

    init(answer: @escaping @Sendable (_ index: Int) -> Int = { _ in 200 }) {
        self.answer = answer
    }

    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        let index = posts.withLock { posts in
            posts.append(Post(url: url, headers: Dictionary(headers, uniquingKeysWith: { first, _ in first }), body: body))
            return posts.count - 1
        }
        return answer(index)
    }
}

@Suite(.timeLimit(.minutes(2))) struct WebhookDelivererTests {
    /// A sandbox firm with a signed webhook, its blast to the three sandbox numbers dispatched, and a deliverer.
    func withDispatchedBlast(
        transport: RecordingTransport, secret: String? = "whsecret",
        _ body: @Sendable (SQLStore, WebhookDeliverer, ManualTime, [Int64]) async throws -> Void
    ) async throws {
        let app = TestApp(time: ManualTime(Date(timeIntervalSince1970: 1_781_100_300)))
        try await app.admin { admin, store in
            let firm = try await SandboxSeeder(store: store, time: app.time).seed()
            try await admin.setWebhook(firm: "sandbox", url: "https://hooks.example.com/wl", secret: secret)
            let sms = SMSService(store: store, time: app.time)
            let sent = try await sms.send(
                SMSRequest(message: "Hi {first_name}", recipients: ["254712345678", "254700000099", "254700000088"], reference: "r-1"), firm: firm)
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: UnconfiguredSMSProvider(), sandbox: SandboxSMSProvider(), signal: WorkSignal(),
                logger: Logger(label: "test"))
            try await dispatcher.runOnce()
            let deliverer = WebhookDeliverer(store: store, time: app.time, transport: transport, logger: Logger(label: "test"))
            try await body(store, deliverer, app.time, sent.messages.map(\.id))
        }
    }

    @Test func eventsAreSignedAsTheContractSaysAndArriveInOrderPerMessage() async throws {
        let transport = RecordingTransport()
        try await withDispatchedBlast(transport: transport) { _, deliverer, _, ids in
            #expect(try await deliverer.runOnce() == 3)  // the first event of each message only
            #expect(try await deliverer.runOnce() == 2)  // then the second (088 failed at once: one event)
            #expect(try await deliverer.runOnce() == 0)
            let posts = transport.posts.withLock { $0 }
            #expect(posts.count == 5)
            for post in posts {
                #expect(post.url == "https://hooks.example.com/wl")
                #expect(post.headers["Content-Type"] == "application/json")
                #expect(post.headers["X-WL-Event"] == post.json["event"] as? String)
                #expect(post.headers["X-WL-Signature"] == WebhookSignature.contract(body: post.body, secret: "whsecret"))
                let id = try #require(post.headers["webhook-id"])
                let timestamp = try #require(post.headers["webhook-timestamp"].flatMap { Int64($0) })
                #expect(
                    post.headers["webhook-signature"] == WebhookSignature.standard(id: id, timestamp: timestamp, body: post.body, secret: "whsecret"))
                #expect(post.headers["X-WL-Attempt"] == "1")
                #expect(post.json["firm_id"] as? Int == 1)
                #expect(post.json["reference"] as? String == "r-1")
                #expect(post.json["timestamp"] as? String == "2026-06-10T17:05:00+03:00")
            }
            let byMessage = Dictionary(grouping: posts, by: { $0.json["message_id"] as? Int64 ?? Int64($0.json["message_id"] as? Int ?? 0) })
            #expect(byMessage[ids[0]]?.map { $0.json["event"] as? String } == ["communication.sms.processing", "communication.sms.delivered"])
            #expect(byMessage[ids[0]]?.map { $0.json["sequence"] as? Int } == [1, 2])
            #expect(byMessage[ids[1]]?.last?.json["status"] as? String == "failed")
            #expect(byMessage[ids[1]]?.last?.json["status_code"] as? Int == 2)
            #expect(byMessage[ids[2]]?.map { $0.json["response"] as? String } == ["Insufficient SMS credits"])
        }
    }

    @Test func withoutASecretNothingIsSigned() async throws {
        let transport = RecordingTransport()
        try await withDispatchedBlast(transport: transport, secret: nil) { _, deliverer, _, _ in
            try await deliverer.runOnce()
            let post = try #require(transport.posts.withLock { $0.first })
            #expect(post.headers["X-WL-Signature"] == nil)
            #expect(post.headers["webhook-signature"] == nil)
            #expect(post.headers["X-WL-Event"] != nil)
        }
    }

    @Test func failuresAreRetriedOnTheScheduleAndLaterEventsWait() async throws {
        let transport = RecordingTransport { index in index < 3 ? 500 : 200 }
        try await withDispatchedBlast(transport: transport) { _, deliverer, time, _ in
            let start = time.now
            let failed = try await deliverer.runOnce()
            #expect(failed == 3)  // all three fail
            #expect(try await deliverer.runOnce() == 0)  // nothing due: retries wait, later events wait behind them
            time.set(start.addingTimeInterval(4))
            #expect(try await deliverer.runOnce() == 0)
            time.set(start.addingTimeInterval(6))
            #expect(try await deliverer.runOnce() == 3)  // second attempts succeed
            #expect(transport.posts.withLock { $0.suffix(3).allSatisfy { $0.headers["X-WL-Attempt"] == "2" } })
            #expect(try await deliverer.runOnce() == 2)
        }
    }

    @Test func goneDisablesTheEndpointAtOnce() async throws {
        let transport = RecordingTransport { _ in 410 }
        try await withDispatchedBlast(transport: transport) { store, deliverer, time, _ in
            #expect(try await deliverer.runOnce() == 3)
            time.set(time.now.addingTimeInterval(3_600))
            #expect(try await deliverer.runOnce() == 0)
            let webhook = try await store.webhook(firmID: 1)
            #expect(webhook?.disabledReason == "The endpoint answered 410 Gone")
        }
    }

    @Test func afterA410TheLanesOtherDeliveriesWaitUntilTheEndpointIsSetAgain() async throws {
        let transport = RecordingTransport { index in index == 0 ? 410 : 200 }
        try await withDispatchedBlast(transport: transport) { store, _, time, _ in
            // One POST at a time, so the other two have not started when the 410 comes.
            let deliverer = WebhookDeliverer(store: store, time: time, transport: transport, perEndpoint: 1, logger: Logger(label: "test"))
            #expect(try await deliverer.runOnce() == 3)
            #expect(transport.posts.withLock { $0.count } == 1)
            #expect(try await store.webhook(firmID: 1)?.disabledReason == WebhookRules.goneReason)
            try await store.setWebhook(firmID: 1, WebhookSettings(url: "https://hooks.example.com/wl", secret: "whsecret"), now: time.now)
            // The two held by the lane's lease wait until it ends; only the event that waited behind the failed one
            // (its message's next) may go before.
            let beforeLapse = try await deliverer.runOnce()
            #expect(beforeLapse <= 1 && transport.posts.withLock { $0.count } == 1 + beforeLapse)
            time.set(time.now.addingTimeInterval(61))
            while try await deliverer.runOnce() > 0 {}
            // Five events in all, each POSTed once.
            let posts = transport.posts.withLock { $0 }
            #expect(posts.count == 5 && Set(posts.compactMap { $0.headers["webhook-id"] }).count == 5)
            #expect(posts.allSatisfy { $0.headers["X-WL-Attempt"] == "1" })
        }
    }

    @Test func duringRotationTheStandardSignatureCoversBothSecrets() async throws {
        let transport = RecordingTransport()
        try await withDispatchedBlast(transport: transport, secret: "first") { store, deliverer, time, _ in
            try await store.setWebhook(firmID: 1, WebhookSettings(url: "https://hooks.example.com/wl", secret: "second"), now: time.now)
            try await deliverer.runOnce()
            let post = try #require(transport.posts.withLock { $0.first })
            let id = try #require(post.headers["webhook-id"])
            let timestamp = try #require(post.headers["webhook-timestamp"].flatMap { Int64($0) })
            let signatures = try #require(post.headers["webhook-signature"]).split(separator: " ").map(String.init)
            #expect(
                signatures == [
                    WebhookSignature.standard(id: id, timestamp: timestamp, body: post.body, secret: "second"),
                    WebhookSignature.standard(id: id, timestamp: timestamp, body: post.body, secret: "first"),
                ])
            #expect(post.headers["X-WL-Signature"] == WebhookSignature.contract(body: post.body, secret: "second"))
        }
    }

    @Test func aSlowReceiverStillGetsEachMessagesEventsInOrder() async throws {
        let transport = SlowTransport()
        let app = TestApp(time: ManualTime())
        try await app.admin { admin, store in
            try await dispatchSandboxBlast(recipients: 40, from: 22_000_000, admin: admin, store: store, time: app.time)
            let deliverer = WebhookDeliverer(
                store: store, time: app.time, transport: transport, pollInterval: .milliseconds(5), logger: Logger(label: "test"))
            let running = Task { try await deliverer.run() }
            for _ in 0..<2_000 where transport.arrivals.withLock({ $0.count }) < 80 {
                try await Task.sleep(for: .milliseconds(5))
            }
            running.cancel()
            _ = try? await running.value
            let arrivals = transport.arrivals.withLock { $0 }
            #expect(arrivals.count == 80)
            for (_, events) in Dictionary(grouping: arrivals, by: \.message) {
                #expect(events.map(\.sequence) == [1, 2])
            }
        }
    }

    @Test func anEventCommittedWhileTheDelivererWaitsIsDeliveredWithoutWaitingForAPoll() async throws {
        let transport = RecordingTransport()
        let app = TestApp(time: ManualTime())
        try await app.admin { admin, session in
            let outboxWritten = WorkSignal()
            let store = SQLStore(database: session.database, secrets: session.secrets, outboxWritten: outboxWritten)
            let firm = try await SandboxSeeder(store: store, time: app.time).seed()
            try await admin.setWebhook(firm: "sandbox", url: "https://hooks.example.com/wl", secret: nil)
            // A poll an hour away: only the signal can start the delivery within the test's deadline.
            let deliverer = WebhookDeliverer(
                store: store, time: app.time, transport: transport, pollInterval: .seconds(3600), signal: outboxWritten, logger: Logger(label: "test")
            )
            let running = Task { try await deliverer.run() }
            for _ in 0..<2_000 where !outboxWritten.isWaiting { try await Task.sleep(for: .milliseconds(5)) }
            #expect(outboxWritten.isWaiting)
            _ = try await SMSService(store: store, time: app.time).send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm)
            let claimed = try await store.claimDue(channel: .sms, limit: 10, owner: "test", lease: 60, now: app.time.now)
            _ = try await store.record(
                claimed.map { ($0.id, DispatchOutcome.fail(response: "Rejected", refund: false)) }, leaseOwner: "test", now: app.time.now)
            for _ in 0..<2_000 where transport.posts.withLock({ $0.count }) < 1 { try await Task.sleep(for: .milliseconds(5)) }
            running.cancel()
            _ = try? await running.value
            #expect(transport.posts.withLock { $0.map { $0.json["status"] as? String } } == ["failed"])
        }
    }

    @Test func aStuckEndpointDoesNotHoldUpAnotherFirm() async throws {
        let gate = ReadinessGate()
        let transport = GatedTransport(blockedHost: "stuck.example.com", gate: gate)
        let app = TestApp(time: ManualTime())
        try await app.admin { admin, store in
            for slug in ["stuck", "quick"] {
                _ = try await admin.createFirm(try NewFirm(slug: slug, name: slug, smsRate: KES(cents: 100), mode: .sandbox))
                _ = try await admin.adjustCredits(firm: slug, amount: Credits(whole: 10), reason: "test")
                try await admin.setWebhook(firm: slug, url: "https://\(slug).example.com/hook", secret: nil)
                let firm = try await admin.firm(slug)
                _ = try await SMSService(store: store, time: app.time).send(
                    SMSRequest(message: "Hi", recipients: ["0712345678", "0722000111"]), firm: firm)
            }
            try await SMSDispatcher(
                store: store, time: app.time, live: UnconfiguredSMSProvider(), sandbox: SandboxSMSProvider(), signal: WorkSignal(),
                logger: Logger(label: "test")
            ).runOnce()
            let deliverer = WebhookDeliverer(
                store: store, time: app.time, transport: transport, pollInterval: .milliseconds(5), logger: Logger(label: "test"))
            let running = Task { try await deliverer.run() }
            // The quick firm gets all four of its events (two per message, in order) while a POST to the stuck one hangs.
            for _ in 0..<1_000 where transport.delivered(to: "quick.example.com") < 4 || transport.arrived(at: "stuck.example.com") < 1 {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(transport.delivered(to: "quick.example.com") == 4)
            #expect(transport.arrived(at: "stuck.example.com") >= 1)
            gate.open()
            running.cancel()
            _ = try? await running.value
        }
    }
}

/// Seeds the sandbox firm with a webhook, and sends and dispatches one blast to `recipients` numbers counted up
/// from `first`: two events (processing, delivered) per message wait in the outbox.
func dispatchSandboxBlast(recipients: Int, from first: Int, admin: FirmAdmin, store: SQLStore, time: ManualTime) async throws {
    let firm = try await SandboxSeeder(store: store, time: time).seed()
    try await admin.setWebhook(firm: "sandbox", url: "https://hooks.example.com/wl", secret: nil)
    let numbers = (0..<recipients).map { "07\(String(format: "%08d", first + $0))" }
    _ = try await SMSService(store: store, time: time).send(SMSRequest(message: "Hi", recipients: numbers), firm: firm)
    try await SMSDispatcher(
        store: store, time: time, live: UnconfiguredSMSProvider(), sandbox: SandboxSMSProvider(), signal: WorkSignal(),
        logger: Logger(label: "test")
    ).runOnce()
}

/// Answers 200 after a random pause, recording the order events arrive in.
final class SlowTransport: WebhookTransport {
    let arrivals = Mutex<[(message: Int, sequence: Int)]>([])

    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...15)))
        let json = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
        arrivals.withLock { $0.append((json["message_id"] as? Int ?? 0, json["sequence"] as? Int ?? 0)) }
        return 200
    }
}

/// Answers 200 at once, except for one host, whose requests wait until the gate opens.
final class GatedTransport: WebhookTransport {
    let blockedHost: String
    let gate: ReadinessGate
    private let counts = Mutex<[String: Int]>([:])
    private let arrivals = Mutex<[String: Int]>([:])

    init(blockedHost: String, gate: ReadinessGate) {
        self.blockedHost = blockedHost
        self.gate = gate
    }

    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        let host = URL(string: url)?.host ?? ""
        arrivals.withLock { $0[host, default: 0] += 1 }
        if host == blockedHost { await gate.wait() }
        counts.withLock { $0[host, default: 0] += 1 }
        return 200
    }

    /// POSTs answered to `host`.
    func delivered(to host: String) -> Int { counts.withLock { $0[host] ?? 0 } }
    /// POSTs started to `host`, answered or not.
    func arrived(at host: String) -> Int { arrivals.withLock { $0[host] ?? 0 } }
}
