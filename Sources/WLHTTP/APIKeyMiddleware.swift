public import Hummingbird
import WLDomain
import WLPorts
public import WLServices

/// Authenticates `X-API-Key` or `Authorization: Bearer` on every route behind it: 401 for a missing, unknown or
/// revoked key, 403 for a suspended or expired firm. The firm's id goes on the request's logger. A client address
/// that failed to authenticate too often gets 429 before its key is even looked at.
public struct APIKeyMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let accounts: AccountService
    let limiter: RateLimiter?

    public init(accounts: AccountService, limiter: RateLimiter? = nil) {
        self.accounts = accounts
        self.limiter = limiter
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let key = APIKey.fromHeaders(apiKey: request.headers[.apiKey], authorization: request.headers[.authorization])
        var context = context
        if let decision = try await limiter?.authenticationAllowed(from: context.clientAddress), !decision.allowed {
            throw RateLimitHeaders.refusal(decision)
        }
        let authentication: Authentication
        do {
            authentication = try await accounts.authenticate(key)
        } catch let error as DomainError where error.code == .unauthenticated {
            if let decision = try await limiter?.authenticationFailed(from: context.clientAddress), !decision.allowed {
                throw RateLimitHeaders.refusal(decision)
            }
            throw error
        }
        context.authentication = authentication
        context.logger[metadataKey: "firm_id"] = .stringConvertible(authentication.firm.id)
        return try await next(request, context)
    }
}
