import HTTPTypes
import Hummingbird

/// Marks every answer `Cache-Control: no-store`: the management API's answers carry session tokens, new API keys,
/// webhook secrets and invitation links, which no browser or proxy cache may keep.
struct NoStoreMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
