import Hummingbird
public import WLStore

/// `GET /healthz` (the process answers), `GET /readyz` (the database answers) and, when metrics are on,
/// `GET /metrics` (Prometheus text), outside the API's base path.
public struct HealthController: Sendable {
    let store: any Store
    let metrics: (@Sendable () -> String)?

    public init(store: any Store, metrics: (@Sendable () -> String)? = nil) {
        self.store = store
        self.metrics = metrics
    }

    /// The routes, to add at the root.
    public func addRoutes(to router: RouteRegistrar) {
        router.get("healthz") { _, _ in try Response.json(["status": "ok"], status: .ok) }
        router.get("readyz") { _, context in
            do {
                try await store.ping()
                return try Response.json(["status": "ok"], status: .ok)
            } catch {
                context.logger.warning("database not ready", metadata: ["error": "\(error)"])
                return try Response.json(["status": "unavailable"], status: .serviceUnavailable)
            }
        }
        if let metrics {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: metrics())))
            }
        }
    }
}
