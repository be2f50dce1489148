public import Hummingbird

/// Records every route as it is added, so that a known path called with another method answers 405 with `Allow`
/// (Hummingbird alone answers 404).
public final class RouteTable {
    private let router: Router<AppRequestContext>
    private var methods: [String: Set<HTTPRequest.Method>] = [:]

    init(router: Router<AppRequestContext>) {
        self.router = router
    }

    /// A registrar that adds routes to `target` (the router itself when `nil`) and records them under `prefix`.
    func registrar(_ target: (any RouterMethods<AppRequestContext>)? = nil, prefix: String) -> RouteRegistrar {
        RouteRegistrar(table: self, target: target ?? router, prefix: prefix)
    }

    func record(_ method: HTTPRequest.Method, _ path: String) {
        methods[path, default: []].insert(method)
    }

    /// Adds a 405 route for each common method a recorded path does not serve.
    func addMethodNotAllowed() {
        for (path, allowed) in methods {
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw HTTPError(
                        .methodNotAllowed, headers: [.allow: allow], message: "This path does not accept \(method.rawValue). Allowed: \(allow).")
                }
            }
        }
    }
}

/// Adds routes to one router or group and records them in a ``RouteTable``.
public struct RouteRegistrar {
    let table: RouteTable
    let target: any RouterMethods<AppRequestContext>
    let prefix: String

    /// Adds a route for `method` at `path` (relative to the registrar's group).
    public func on(
        _ method: HTTPRequest.Method, _ path: String,
        use handler: @Sendable @escaping (Request, AppRequestContext) async throws -> some ResponseGenerator
    ) {
        table.record(method, prefix + "/" + path)
        target.on(RouterPath(path), method: method, use: handler)
    }

    /// Adds a GET route.
    public func get(_ path: String, use handler: @Sendable @escaping (Request, AppRequestContext) async throws -> some ResponseGenerator) {
        on(.get, path, use: handler)
    }

    /// Adds a POST route.
    public func post(_ path: String, use handler: @Sendable @escaping (Request, AppRequestContext) async throws -> some ResponseGenerator) {
        on(.post, path, use: handler)
    }
}
