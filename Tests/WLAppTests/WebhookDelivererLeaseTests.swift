import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

/// A receiver that takes `step` seconds of the test clock per POST, records which delivery each POST carried, and
/// runs `duringCall` (once, at call number `at`) while a POST is under way.
final class SlowReceiver: WebhookTransport {
    let time: ManualTime
    let step: TimeInterval
    let received = Mutex<[Int]>([])
    let duringCall = Mutex<(at: Int, action: @Sendable () async -> Void)?>(nil)

    init(time: ManualTime, step: TimeInterval) {
        self.time = time
        self.step = step
    }

    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        time.set(time.now.addingTimeInterval(step))
        let message = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["message_id"] as? Int ?? 0
        let call = received.withLock { received in
            received.append(message)
            return received.count
        }
        if let hook = duringCall.withLock({ $0 }), hook.at == call { await hook.action() }
        return 200
    }
}

@Suite struct WebhookDelivererLeaseTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A firm with a webhook and `count` cancelled messages (one delivery each), and a deliverer (lease 60 s, one
    /// POST at a time) over `transport`.
    func withDeliveries(
        count: Int, time: ManualTime, transport: any WebhookTransport, logger: Logger = Logger(label: "test"),
        _ body: @Sendable (SQLStore, Firm, [Int64], WebhookDeliverer) async throws -> Void
    ) async throws {
        let app = TestApp(time: time)
        try await app.admin { admin, store in
            let created = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 10), reason: "test")
            try await admin.setWebhook(firm: "acme", url: "https://hooks.example.com/wl", secret: nil)
            let firm = try #require(try await store.firm(id: created.id))
            let sms = SMSService(store: store, time: app.time)
            var ids: [Int64] = []
            for index in 0..<count {
                let id = try #require(
                    try await sms.send(SMSRequest(message: "Text", recipients: ["071234567\(index)"]), firm: firm).messages.first?.id)
                _ = try await store.cancelMessage(firmID: firm.id, id: id, now: time.now)
                ids.append(id)
            }
            let deliverer = WebhookDeliverer(store: store, time: time, transport: transport, perEndpoint: 1, lease: 60, logger: logger)
            try await body(store, firm, ids, deliverer)
        }
    }

    @Test func aLaneSlowerThanItsLeaseKeepsItSoAnotherDelivererClaimsNothingAndEachEventIsPostedOnce() async throws {
        let time = ManualTime(Self.start)
        let receiver = SlowReceiver(time: time, step: 25)
        try await withDeliveries(count: 4, time: time, transport: receiver) { store, firm, ids, deliverer throws in
            let second = WebhookDeliverer(store: store, time: time, transport: receiver, lease: 60, logger: Logger(label: "second"))
            let secondClaimed = Mutex<Int?>(nil)
            // 75 s in, past the 60 s the lane was claimed for: the second deliverer tries its round.
            receiver.duringCall.withLock {
                $0 = (
                    3,
                    {
                        let claimed = try? await second.runOnce()
                        secondClaimed.withLock { $0 = claimed }
                    }
                )
            }
            #expect(try await deliverer.runOnce() == 4)
            #expect(secondClaimed.withLock { $0 } == 0)
            #expect(receiver.received.withLock { $0 }.map(Int64.init) == ids)
            let log = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
            #expect(log.count == 4 && log.allSatisfy { $0.status == .succeeded && $0.attempts.count == 1 })
        }
    }

    @Test func noPostStartsOnceTheLeaseIsLostAndTheStaleAttemptIsDroppedAndCounted() async throws {
        let time = ManualTime(Self.start)
        let receiver = SlowReceiver(time: time, step: 200)
        let capture = LogCapture()
        try await withDeliveries(count: 3, time: time, transport: receiver, logger: capture.logger()) { store, firm, ids, deliverer throws in
            let thief = Mutex<Int>(0)
            // The first POST outlasts the lease (200 s > 60 s) and another worker takes the whole lane over.
            receiver.duringCall.withLock {
                $0 = (
                    1,
                    {
                        let claimed = (try? await store.claimWebhookDeliveries(limit: 10, owner: "other", lease: 600, now: time.now)) ?? []
                        thief.withLock { $0 = claimed.count }
                    }
                )
            }
            #expect(try await deliverer.runOnce() == 3)
            #expect(thief.withLock { $0 } == 3)
            #expect(receiver.received.withLock { $0 }.count == 1)
            let log = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
            #expect(log.count == ids.count && log.allSatisfy { $0.status == .pending && $0.attempts.isEmpty })
            let lines = capture.all
            #expect(lines.contains { $0.hasPrefix("warning webhook attempts dropped") && $0.contains("count=1") })
            #expect(lines.contains { $0.hasPrefix("info lease lost: webhook deliveries not sent") && $0.contains("count=2") })
        }
    }
}
