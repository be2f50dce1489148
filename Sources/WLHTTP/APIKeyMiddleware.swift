public import Hummingbird
import WLDomain
public import WLServices

/// Authenticates `X-API-Key` or `Authorization: Bearer` on every route behind it: 401 for a missing, unknown or
/// revoked key, 403 for a suspended or expired firm. The firm's id goes on the request's logger.
public struct APIKeyMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let accounts: AccountService

    public init(accounts: AccountService) {
        self.accounts = accounts
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let key = APIKey.fromHeaders(apiKey: request.headers[.apiKey], authorization: request.headers[.authorization])
        var context = context
        let authentication = try await accounts.authenticate(key)
        context.authentication = authentication
        context.logger[metadataKey: "firm_id"] = .stringConvertible(authentication.firm.id)
        return try await next(request, context)
    }
}
