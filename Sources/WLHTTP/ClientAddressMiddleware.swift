import HTTPTypes
public import Hummingbird
public import WLServices

/// Sets ``AppRequestContext/clientAddress`` to the client behind a trusted reverse proxy (see ``TrustedProxies``),
/// so the failed-authentication and tracking limits, the loopback-only `/metrics` and the logs see the real client.
public struct ClientAddressMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    let proxies: TrustedProxies

    public init(proxies: TrustedProxies) {
        self.proxies = proxies
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard !proxies.isEmpty else { return try await next(request, context) }
        var context = context
        context.clientAddress = proxies.client(peer: context.clientAddress, forwardedFor: request.headers[values: Self.forwardedFor])
        return try await next(request, context)
    }
}
