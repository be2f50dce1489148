public import Hummingbird
import Logging

/// Turns every error thrown below it into the one JSON error envelope, through ``ErrorMapping``.
/// Server errors are logged with the request id; client errors at debug level.
public struct ErrorMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            return try Self.response(for: error, context: context)
        }
    }

    /// The error envelope response for `error`, logged (server errors with the request id, client errors and 503s
    /// at debug: an unavailable database is logged once per outage by the database itself).
    static func response(for error: any Error, context: Context) throws -> Response {
        let (status, envelope, headers) = ErrorMapping.envelope(for: error)
        if status.code >= 500 && status != .serviceUnavailable {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        } else {
            context.logger.debug("request refused", metadata: ["status": "\(status.code)", "code": "\(envelope.code)"])
        }
        return try Response.json(envelope, status: status, headers: headers)
    }
}
