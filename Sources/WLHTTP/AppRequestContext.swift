public import Foundation
public import Hummingbird
public import WLDomain
public import WLPorts
public import WLServices

/// The per-request context: Hummingbird's core storage, the request id, and the caller once authenticated.
public struct AppRequestContext: RequestContext {
    /// The largest request body the API reads, in bytes (1 MiB); larger bodies get 413.
    public static let maximumBodySize = 1_048_576

    public var coreContext: CoreRequestContextStorage
    /// The id echoed in `X-Request-Id` and attached to every log line of this request.
    public var requestID: String = ""
    /// The key and firm, set by ``APIKeyMiddleware``.
    public var authentication: Authentication? {
        didSet { actingFirm = authentication?.firm }
    }
    /// The console user and session, set by ``ConsoleSessionMiddleware``.
    public var console: ConsoleIdentity? {
        didSet { actingFirm = console?.firm }
    }
    /// The firm the request acts for: the API key's, or a signed-in firm user's.
    public private(set) var actingFirm: Firm?
    /// The client's IP address (`unknown` when the transport has none), for the failed-authentication limit.
    public var clientAddress: String
    /// How long the client may take to send the body (408 after it); set from the settings by ``RequestLimitsMiddleware``.
    public var bodyReadTimeout: Duration = .seconds(30)

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    public var maxUploadSize: Int { Self.maximumBodySize }

    /// Sorted keys: the same value always encodes to the same bytes.
    public var responseEncoder: JSONEncoder { .api }

    /// The authenticated firm's id.
    /// - Throws: `.unauthenticated` when the route was reached without ``APIKeyMiddleware``.
    func firmID() throws -> Int64 {
        try firm().id
    }

    /// The firm the request acts for.
    /// - Throws: `.unauthenticated` when the route was reached without a key or a firm user's session.
    func firm() throws -> Firm {
        guard let actingFirm else { throw DomainError(.unauthenticated, "Missing or invalid API key.") }
        return actingFirm
    }

    /// Who did it, for the audit log.
    var auditOrigin: AuditOrigin {
        AuditOrigin(
            actor: console?.user.email ?? "api-key", role: console?.user.role.rawValue ?? "api", clientAddress: clientAddress,
            requestID: requestID)
    }
}
