public import Hummingbird

/// Turns the router's 404 for a known path into 405 with `Allow` when the method is the only thing wrong.
/// A 404 from a route that exists for this method (an unknown message id, say) stays a 404.
public struct MethodNotAllowedMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let routes: RouteTable

    public init(routes: RouteTable) {
        self.routes = routes
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(forPath: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else { throw error }
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            throw HTTPError(
                .methodNotAllowed, headers: [.allow: allow], message: "This path does not accept \(request.method.rawValue). Allowed: \(allow).")
        }
    }
}
