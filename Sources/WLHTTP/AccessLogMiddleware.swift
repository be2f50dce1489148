public import Hummingbird
import Logging

/// Logs one line per request after it is answered: method, path (never the query or headers, which may carry
/// keys, and with the secret token of callback and tracking URLs blanked), status and duration. The request id rides
/// on the logger's metadata.
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "path": .string(Self.loggable(request.uri.path)),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.2f", milliseconds)),
            ])
        return response
    }

    /// `path` with the last segment of a callback or tracking URL (a secret token) replaced by `[redacted]`.
    static func loggable(_ path: String) -> String {
        guard path.hasPrefix("/callbacks/") || path.hasPrefix("/t/"), let slash = path.lastIndex(of: "/") else { return path }
        return path[...slash] + "[redacted]"
    }
}
