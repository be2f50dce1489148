import Hummingbird
public import WLStore

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers), outside the API's base path.
public struct HealthController: Sendable {
    let store: any Store

    public init(store: any Store) {
        self.store = store
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
    }
}
