import HTTPTypes
public import Hummingbird
import WLDomain
public import WLServices

/// Counts every authenticated request against its API key's limit (writes — POST, PUT, PATCH, DELETE — as sends,
/// GET and HEAD as reads: a `PUT /contacts` of 10,000 rows is no read): 429 with
/// `Retry-After`, `RateLimit-Policy` and `RateLimit` when over it; `RateLimit-Policy` and `RateLimit` on the answer
/// otherwise, error answers included (the error is turned into its envelope here, so the fields can be added).
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let limiter: RateLimiter

    public init(limiter: RateLimiter) {
        self.limiter = limiter
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard let authentication = context.authentication,
            let decision = try await limiter.admit(authentication, isSend: request.method != .get && request.method != .head)
        else { return try await next(request, context) }
        guard decision.allowed else { throw RateLimitHeaders.refusal(decision) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try ErrorMiddleware.response(for: error, context: context)
        }
        response.headers.append(contentsOf: RateLimitHeaders.fields(decision))
        return response
    }
}

/// Counts every management API and console page request against the `console` limit: per signed-in user when it
/// runs after ``ConsoleSessionMiddleware``, per client address on the routes before sign-in. Over it: 429 with
/// `Retry-After`, `RateLimit-Policy` and `RateLimit`, which the error middleware outside renders (the JSON envelope
/// for the API, the error page for pages).
struct ConsoleRateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let limiter: RateLimiter
    /// Add `RateLimit-Policy` and `RateLimit` to every answer, errors turned into their JSON envelope here (the
    /// management API); pages leave them out, so their errors still reach the page error middleware.
    let addsFields: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let decision = try await limiter.consoleRequest(userID: context.console?.user.id, address: context.clientAddress) else {
            return try await next(request, context)
        }
        guard decision.allowed else { throw RateLimitHeaders.refusal(decision) }
        guard addsFields else { return try await next(request, context) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try ErrorMiddleware.response(for: error, context: context)
        }
        response.headers.append(contentsOf: RateLimitHeaders.fields(decision))
        return response
    }
}

/// The IETF RateLimit header fields and the 429 that carries them.
enum RateLimitHeaders {
    static let policy = HTTPField.Name("RateLimit-Policy")!
    static let limit = HTTPField.Name("RateLimit")!

    /// `RateLimit-Policy` and `RateLimit` for `decision`.
    static func fields(_ decision: RateLimitDecision) -> HTTPFields {
        [policy: decision.policy.policyHeader, limit: decision.header]
    }

    /// The 429 for a refused request, with `Retry-After`.
    static func refusal(_ decision: RateLimitDecision) -> HTTPError {
        var headers = fields(decision)
        headers[.retryAfter] = String(decision.retryAfter ?? 1)
        let retry = decision.retryAfter ?? 1
        let message =
            decision.policy.name == LimitSettings().failedAuthentication.name
            ? "Too many failed authentications from this address (\(decision.policy.quota) per \(decision.policy.window) s); every request from it is refused until they expire (a live console session excepted); retry after \(retry) s."
            : decision.policy.name == LimitSettings().signIns.name
                ? "Too many password checks (sign-ins, password changes) from this address (\(decision.policy.quota) per \(decision.policy.window) s); retry after \(retry) s."
                : "Rate limit exceeded (\(decision.policy.quota) requests per \(decision.policy.window) s); retry after \(retry) s."
        return HTTPError(.tooManyRequests, headers: headers, message: message)
    }
}
