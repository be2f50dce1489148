public import Hummingbird
import WLDomain

/// Refuses a body whose declared `Content-Length` is over the limit with 413 before reading any of it.
/// A chunked body is cut off at the same limit while it is collected (``AppRequestContext/maxUploadSize``).
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let limit: Int

    public init(limit: Int = AppRequestContext.maximumBodySize) {
        self.limit = limit
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw DomainError(.payloadTooLarge, "The request body is over the limit of \(limit) bytes.")
        }
        return try await next(request, context)
    }
}
