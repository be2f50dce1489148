public import Hummingbird
import WLDomain

/// Refuses a body whose declared `Content-Length` is over the limit with 413 before reading any of it.
/// A chunked body is cut off at the same limit while it is collected (``AppRequestContext/maxUploadSize``).
/// Also refuses (422) a path or query that carries a NUL character (`%00`), which no parameter may hold, and gives
/// the request its body read timeout.
public struct RequestLimitsMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let limit: Int
    let bodyReadTimeout: Duration

    public init(limit: Int = AppRequestContext.maximumBodySize, bodyReadTimeout: Duration) {
        self.limit = limit
        self.bodyReadTimeout = bodyReadTimeout
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw DomainError(.payloadTooLarge, "The request body is over the limit of \(limit) bytes.")
        }
        let target = request.uri.string
        if target.contains("\0") || target.range(of: "%00", options: .caseInsensitive) != nil {
            throw DomainError(.validation, "The path and query may not contain NUL characters (%00).")
        }
        var context = context
        context.bodyReadTimeout = bodyReadTimeout
        return try await next(request, context)
    }
}
