import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

@Suite(.timeLimit(.minutes(2))) struct WebhookLanesTests {
    /// Two lanes of one firm overlap (more POSTs in flight than one lane holds), yet together never exceed the firm's
    /// `perEndpoint` slots, and each message's events still arrive in order.
    @Test func aFirmsTwoLanesShareItsSlotsAndKeepEventsInOrder() async throws {
        let transport = CrowdTransport(crowd: 8)
        let app = TestApp(time: ManualTime())
        try await app.admin { admin, store in
            try await dispatchSandboxBlast(recipients: 20, from: 23_000_000, admin: admin, store: store, time: app.time)
            // Lanes of 5 deliveries: one lane alone can never have more than 5 POSTs in flight.
            let deliverer = WebhookDeliverer(
                store: store, time: app.time, transport: transport, batchSize: 5, perEndpoint: 8, pollInterval: .milliseconds(5),
                logger: Logger(label: "test"))
            let running = Task { try await deliverer.run() }
            for _ in 0..<2_000 where transport.arrivals.withLock({ $0.count }) < 40 {
                try await Task.sleep(for: .milliseconds(5))
            }
            running.cancel()
            _ = try? await running.value
            let arrivals = transport.arrivals.withLock { $0 }
            #expect(arrivals.count == 40)
            #expect(transport.most.withLock { $0 } == 8)
            for (_, events) in Dictionary(grouping: arrivals, by: \.message) {
                #expect(events.map(\.sequence) == [1, 2])
            }
        }
    }
}

/// Holds each POST until `crowd` have been in flight at once (or 20 s pass, long enough that a slow machine's second
/// lane is not missed; lanes that cannot overlap then fail the suite's time limit), so lanes that can overlap do;
/// records the most in flight and the order events arrive in.
final class CrowdTransport: WebhookTransport {
    let crowd: Int
    let inFlight = Mutex(0)
    let most = Mutex(0)
    let arrivals = Mutex<[(message: Int, sequence: Int)]>([])

    init(crowd: Int) {
        self.crowd = crowd
    }

    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        let now = inFlight.withLock { count in
            count += 1
            return count
        }
        defer { inFlight.withLock { $0 -= 1 } }
        most.withLock { $0 = max($0, now) }
        for _ in 0..<4_000 where most.withLock({ $0 }) < crowd {
            try await Task.sleep(for: .milliseconds(5))
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
        arrivals.withLock { $0.append((json["message_id"] as? Int ?? 0, json["sequence"] as? Int ?? 0)) }
        return 200
    }
}
