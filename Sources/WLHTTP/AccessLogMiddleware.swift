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

    /// The routes whose path carries a secret token or a person's phone number, and how many of their leading segments
    /// are neither.
    private static let tokenRoutes: [(prefix: [Substring], kept: Int)] = [
        (["callbacks", "mpesa", "stk"], 4), (["callbacks"], 3), (["t"], 2), (["console", "invite"], 2),
        (["api", "v1", "communication", "sms", "opt-outs"], 5), (["api", "v1", "communication", "contacts"], 4),
    ]

    /// `path` with everything after the fixed part of a callback, tracking or invitation URL (a secret token), or of
    /// an opt-out or contact URL (a phone number, which erasure could not reach in a log), replaced by `[redacted]`. Segments are counted as the router counts them (empty ones skipped), so a trailing slash or an
    /// extra segment cannot push the token out of the redacted part.
    static func loggable(_ path: String) -> String {
        let segments = path.split(separator: "/")
        guard let route = tokenRoutes.first(where: { segments.starts(with: $0.prefix) }), segments.count > route.kept else { return path }
        return "/" + segments.prefix(route.kept).joined(separator: "/") + "/[redacted]"
    }
}
