import Foundation
import Hummingbird
import Synchronization
import WLDomain

/// A local webhook receiver for the benchmark: counts every event, and notes when each event of the current window
/// arrived and when it occurred.
final class WebhookReceiver: Sendable {
    /// What arrived since the last ``startWindow()``.
    struct Window: Sendable {
        var count = 0
        /// Milliseconds from each event's `occurred_at` to its arrival here.
        var latencies: [Double] = []
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?

        /// Events per second from the first arrival to the last.
        var eventsPerSecond: Double {
            guard let first, let last, count > 1 else { return 0 }
            return Double(count - 1) / max(milliseconds(last - first) / 1000, 0.001)
        }

        /// The latency at `percent` (0–100).
        func latency(_ percent: Int) -> Double {
            let sorted = latencies.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * percent / 100)]
        }
    }

    private let window = Mutex(Window())
    private let received = Atomic(0)

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("hooks") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let (now, clock) = (Date(), ContinuousClock.now)
            let occurred = Self.occurredAt(in: body.readableBytesView).flatMap(SendTime.iso8601)
            self.window.withLock { window in
                window.count += 1
                if let occurred { window.latencies.append(now.timeIntervalSince(occurred) * 1000) }
                window.first = window.first ?? clock
                window.last = clock
            }
            self.received.add(1, ordering: .relaxed)
            return .ok
        }
        return router
    }

    /// The `occurred_at` string of a webhook body, found by scanning for its key: the server writes it with no space
    /// and a timestamp has nothing to escape. (Parsing the whole body with JSONSerialization cost the benchmark's
    /// process, which the server shares, 2 % of the CPU in the webhook phase.)
    static func occurredAt(in body: some Collection<UInt8>) -> String? {
        let key = Array(#""occurred_at":""#.utf8)
        let bytes = Array(body)
        guard bytes.count > key.count else { return nil }
        for start in 0...(bytes.count - key.count) where bytes[start] == key[0] && bytes[start..<start + key.count].elementsEqual(key) {
            let valueStart = start + key.count
            guard let end = bytes[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: bytes[valueStart..<end], as: UTF8.self)
        }
        return nil
    }

    /// Events received since the receiver started.
    var total: Int { received.load(ordering: .relaxed) }

    /// Forgets the current window and starts a new one.
    func startWindow() { window.withLock { $0 = Window() } }

    /// What arrived since the last ``startWindow()``.
    var current: Window { window.withLock { $0 } }

    /// Waits until `expected` events have arrived in the current window; fails when none arrives for 30 s.
    func waitForWindow(_ expected: Int) async throws {
        var seen = 0
        var lastChange = ContinuousClock.now
        while case let count = window.withLock({ $0.count }), count < expected {
            if count != seen { (seen, lastChange) = (count, .now) }
            if ContinuousClock.now - lastChange > .seconds(30) {
                throw BenchmarkError("webhooks: \(count) of \(expected) events arrived, then none for 30 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until no event has arrived for `quiet` (longer than the deliverer's idle poll), when the number of
    /// events to expect is not known.
    func waitUntilQuiet(_ quiet: Duration = .milliseconds(1500)) async throws {
        var seen = total
        var lastChange = ContinuousClock.now
        while ContinuousClock.now - lastChange < quiet {
            try await Task.sleep(for: .milliseconds(20))
            if total != seen { (seen, lastChange) = (total, .now) }
        }
    }
}
