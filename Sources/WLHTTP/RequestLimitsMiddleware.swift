public import Hummingbird
import WLDomain

/// Refuses a body whose declared `Content-Length` is over the limit with 413 before reading any of it.
/// A chunked body is cut off at the same limit while it is collected (``AppRequestContext/maxUploadSize``).
/// Refuses (415) a body sent with a `Content-Encoding` other than `identity`: bodies are read as they arrive, never
/// decompressed, so a compressed one would only fail later as unreadable JSON. Also refuses (422) a path or query that carries a NUL character (`%00`), which no parameter may hold, and gives
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
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw HTTPError(
                .unsupportedMediaType, message: "Compressed request bodies (Content-Encoding: \(encoding)) are not accepted; send the body as is.")
        }
        if Self.hasNUL(request.uri.string) {
            throw DomainError(.validation, "The path and query may not contain NUL characters (%00).")
        }
        var context = context
        context.bodyReadTimeout = bodyReadTimeout
        return try await next(request, context)
    }

    /// Whether `target` has a NUL character or its percent-encoding `%00`.
    static func hasNUL(_ target: String) -> Bool {
        var lastTwo: (UInt8, UInt8) = (0, 0)
        for byte in target.utf8 {
            if byte == 0 || (lastTwo == (UInt8(ascii: "%"), UInt8(ascii: "0")) && byte == UInt8(ascii: "0")) { return true }
            lastTwo = (lastTwo.1, byte)
        }
        return false
    }
}
