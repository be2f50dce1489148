import Foundation
import Hummingbird
import Synchronization
import WLDomain

/// A local webhook receiver for the benchmark: notes when each event arrived and when it occurred.
final class WebhookReceiver: Sendable {
    /// Milliseconds from each event's `occurred_at` to its arrival here.
    let latencies = Mutex<[Double]>([])
    let firstAndLast = Mutex<(Date?, Date?)>((nil, nil))

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("hooks") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let now = Date()
            if let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                let occurred = (json["occurred_at"] as? String).flatMap(SendTime.iso8601)
            {
                self.latencies.withLock { $0.append(now.timeIntervalSince(occurred) * 1000) }
            }
            self.firstAndLast.withLock { $0 = ($0.0 ?? now, now) }
            return .ok
        }
        return router
    }

    var count: Int { latencies.withLock { $0.count } }
}
