public import Hummingbird
import Synchronization

/// Every route of the API, recorded as it is added, so that a known path called with a method it does not serve
/// answers 405 with `Allow` (Hummingbird alone answers 404), whatever the method: TRACE, QUERY or any other.
public final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    init() {}

    /// A registrar that adds routes to `target` and records them under `prefix`.
    func registrar(_ target: any RouterMethods<AppRequestContext>, prefix: String) -> RouteRegistrar {
        RouteRegistrar(table: self, target: target, prefix: prefix)
    }

    func record(_ method: HTTPRequest.Method, _ path: String) {
        let segments = path.split(separator: "/")
        routes.withLock { routes in
            if let index = routes.firstIndex(where: { $0.segments == segments }) {
                routes[index].methods.insert(method)
            } else {
                routes.append((segments, [method]))
            }
        }
    }

    /// The methods a concrete request path is served with (empty for an unknown path). `:name` segments match any,
    /// but as in the router a literal segment wins: `sms/quote` is not also `sms/:message_id`.
    func methods(forPath path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/")
        return routes.withLock { routes in
            let matching = routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix(":") || pattern == segment }
            }
            let literals = { (route: (segments: [Substring], methods: Set<HTTPRequest.Method>)) in
                route.segments.filter { !$0.hasPrefix(":") }.count
            }
            let best = matching.map(literals).max() ?? 0
            return matching.filter { literals($0) == best }.reduce(into: []) { $0.formUnion($1.methods) }
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
