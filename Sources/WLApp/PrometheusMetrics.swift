package import Prometheus
import Synchronization
import WLHTTP
import WLPorts
import WLStore

/// The service's own metrics in the Prometheus registry, each with its help text and Prometheus' naming
/// (`wlcomm_` prefix, `_total` counters, `_seconds` durations), checked by `promtool check metrics` in CI.
enum PrometheusMetrics {
    static func descriptor(_ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "wlcomm", metricName: name, unitName: unit, helpText: help)
    }

    /// `wlcomm_database_up` (1 while the database answers, 0 during an outage) and `wlcomm_database_outages_total`.
    static func observe(_ availability: DatabaseAvailability, in registry: PrometheusCollectorRegistry) {
        let up = registry.makeGauge(descriptor: descriptor("database_up", "1 while the database answers, 0 during an outage."))
        let outages = registry.makeCounter(
            descriptor: descriptor("database_outages", unit: "total", "Outages of the database since the process started."))
        let counted = Mutex(0)
        availability.observe { isUp, total in
            up.set(isUp ? 1.0 : 0.0)
            let new = counted.withLock { counted in
                defer { counted = max(counted, total) }
                return total - counted
            }
            if new > 0 { outages.increment(by: Int64(new)) }
        }
    }
}

/// `wlcomm_http_requests_total{route,method,status}` and `wlcomm_http_request_duration_seconds{route,method}`.
package struct PrometheusHTTPMetrics: HTTPMetricsRecorder {
    let registry: PrometheusCollectorRegistry
    /// Each route, method and status's counter and histogram, made once: the registry builds their names and labels
    /// and takes its one lock at every make. Route patterns, methods and statuses are few, so this stays small.
    private let series = Series()

    final class Series: Sendable {
        let made = Mutex<[String: (requests: Counter, duration: DurationHistogram)]>([:])
    }

    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    package func record(route: String, method: String, status: Int, seconds: Double) {
        let key = "\(route) \(method) \(status)"
        let made = series.made.withLock { $0[key] } ?? make(route: route, method: method, status: status, key: key)
        made.requests.increment()
        made.duration.recordNanoseconds(Int64(seconds * 1_000_000_000))
    }

    private func make(route: String, method: String, status: Int, key: String) -> (requests: Counter, duration: DurationHistogram) {
        let requests = registry.makeCounter(
            descriptor: PrometheusMetrics.descriptor("http_requests", unit: "total", "HTTP requests answered, by route pattern, method and status."),
            labels: [("route", route), ("method", method), ("status", String(status))])
        let duration = registry.makeDurationHistogram(
            descriptor: PrometheusMetrics.descriptor(
                "http_request_duration", unit: "seconds", "Time to answer HTTP requests, by route pattern and method."),
            labels: [("route", route), ("method", method)], buckets: Self.buckets)
        series.made.withLock { $0[key] = (requests, duration) }
        return (requests, duration)
    }

    static let buckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
}
