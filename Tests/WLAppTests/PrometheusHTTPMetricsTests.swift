import Prometheus
import Testing
import WLApp

/// The HTTP metrics keep one counter and one histogram per series, made once and counted on after.
@Suite struct PrometheusHTTPMetricsTests {
    @Test func eachRouteMethodAndStatusIsCountedInItsOwnSeries() {
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusHTTPMetrics(registry: registry)
        metrics.record(route: "/healthz", method: "GET", status: 200, seconds: 0.001)
        metrics.record(route: "/healthz", method: "GET", status: 200, seconds: 0.002)
        metrics.record(route: "/healthz", method: "GET", status: 503, seconds: 0.003)
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"wlcomm_http_requests_total{route="/healthz",method="GET",status="200"} 2"#))
        #expect(text.contains(#"wlcomm_http_requests_total{route="/healthz",method="GET",status="503"} 1"#))
        #expect(text.contains(#"wlcomm_http_request_duration_seconds_count{route="/healthz",method="GET"} 3"#))
    }
}
