import Hummingbird
import WLDomain
public import WLPorts

/// `GET /healthz` (the process answers), `GET /readyz` (the database answers) and, when metrics are on,
/// `GET /metrics` (Prometheus text), outside the API's base path. `/metrics` answers a client that presents
/// `Authorization: Bearer <metricsToken>`; with no token configured, only clients on a loopback address.
public struct HealthController: Sendable {
    let store: any Store
    let metrics: (@Sendable () async -> String)?
    let metricsToken: String?

    public init(store: any Store, metrics: (@Sendable () async -> String)? = nil, metricsToken: String? = nil) {
        self.store = store
        self.metrics = metrics
        self.metricsToken = metricsToken
    }

    /// Whether this request may read the metrics.
    func mayReadMetrics(_ request: Request, clientAddress: String) -> Bool {
        guard let metricsToken else { return clientAddress == "::1" || clientAddress.hasPrefix("127.") }
        let presented = request.headers[.authorization] ?? ""
        return presented.hasPrefix("Bearer ") && ConstantTime.equal(String(presented.dropFirst(7)), metricsToken)
    }

    /// The routes, to add at the root.
    public func addRoutes(to router: RouteRegistrar) {
        router.get("healthz") { _, _ in try Response.json(["status": "ok"], status: .ok) }
        router.get("readyz") { _, context in
            do {
                try await store.ping()
                return try Response.json(["status": "ok"], status: .ok)
            } catch {
                // The database logs its outages once; a load balancer polls this often.
                context.logger.debug("database not ready", metadata: ["error": "\(error)"])
                return try Response.json(["status": "unavailable"], status: .serviceUnavailable)
            }
        }
        if let metrics {
            router.get("metrics") { request, context in
                guard mayReadMetrics(request, clientAddress: context.clientAddress) else {
                    throw DomainError(
                        .unauthenticated, "The metrics need Authorization: Bearer with the metrics token (metrics.token), or a loopback client.")
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: await metrics())))
            }
        }
    }
}
