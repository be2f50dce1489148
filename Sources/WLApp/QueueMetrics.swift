import Foundation
import Prometheus
import WLDomain
import WLPorts
import WLStore

/// `wlcomm_queue_depth{queue,status}` and `wlcomm_queue_oldest_age_seconds{queue,status}`, read from the store
/// when `/metrics` is scraped (one grouped query per queue table), so every instance reports the shared queue.
struct QueueMetrics: Sendable {
    let store: any MessageStore
    let time: any TimeSource
    let registry: PrometheusCollectorRegistry

    static var depth: MetricNameDescriptor {
        PrometheusMetrics.descriptor("queue_depth", "Messages (webhook deliveries) waiting in each queue, by status.")
    }
    static var oldestAge: MetricNameDescriptor {
        PrometheusMetrics.descriptor(
            "queue_oldest_age", unit: "seconds",
            "Pending: seconds since the oldest due item fell due. Processing: seconds since the oldest was accepted.")
    }

    /// Sets every queue's gauges from the store; an unavailable store leaves the last values (and
    /// `wlcomm_database_up` says why).
    func refresh() async {
        let now = time.now
        guard let levels = try? await store.queueLevels(now: now) else { return }
        for level in levels {
            let labels = [("queue", level.queue), ("status", level.status)]
            registry.makeGauge(descriptor: Self.depth, labels: labels).set(Double(level.depth))
            registry.makeGauge(descriptor: Self.oldestAge, labels: labels).set(level.oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
    }
}
