import Foundation
public import Hummingbird
import WLDomain

/// Gives every request an id: a sane incoming `X-Request-Id` (1–128 of `A-Z a-z 0-9 . _ : -`) is kept, anything
/// else is replaced. The id goes on the logger's metadata and on every response, errors included.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var context = context
        let id = request.headers[.requestID].flatMap { Self.isSane($0) ? $0 : nil } ?? Self.generate()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    /// Whether a client's id is safe to echo and log.
    static func isSane(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x5F || byte == 0x3A || byte == 0x2D
            }
    }

    /// `req_` and 32 hex digits.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return "req_" + withUnsafeBytes(of: (generator.next(), generator.next()) as (UInt64, UInt64)) { $0.hex }
    }
}
