import Foundation
import HTTPTypes
import Hummingbird
import WLDomain
import WLServices

/// Finds the console session behind a request: `Authorization: Bearer <token>` (the management API) or the
/// `wl_session` cookie (the pages, and the API called from them). A cookie-carried session must prove the request is
/// its own on every unsafe method: the API checks `X-CSRF-Token` here; pages check the form's `_csrf` in
/// ``ConsoleForm``. A request without a live session from an address that failed too often is refused like a failed
/// API key; a refused bearer token counts as a failure, an ended session's cookie does not (it is cleared).
struct ConsoleSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The cookie that carries the pages' session.
    static let cookieName = "wl_session"
    /// The header a cookie-authenticated API call echoes the CSRF token in.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let accounts: ConsoleAccounts
    let limiter: RateLimiter?
    /// Check `X-CSRF-Token` on unsafe methods of cookie sessions (the API); pages check the form instead.
    let checksCSRFHeader: Bool
    /// Send an unauthenticated request to the sign-in page instead of answering 401 (the pages).
    let redirectsToSignIn: Bool
    /// Whether cookies this sets are `Secure` (not when `console.insecureCookies` is on, for plain-HTTP development).
    let secureCookies: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let bearer = request.headers[.authorization].flatMap(Self.bearerToken)
        let cookie = request.cookies[Self.cookieName].flatMap { SessionToken($0.value) }
        let identity: ConsoleIdentity
        do {
            identity = try await accounts.identity(bearer ?? cookie)
        } catch let error as DomainError where error.code == .unauthenticated {
            // Only a request without a live session meets the address's block: the users of a shared address (an
            // office, a mobile carrier's NAT) who are signed in are not shut out by another's failures there.
            if let decision = try await limiter?.authenticationAllowed(from: context.clientAddress), !decision.allowed {
                throw RateLimitHeaders.refusal(decision)
            }
            // A session token is 32 random bytes and cannot be guessed; an ended session's cookie is what a browser
            // normally sends after a while, so only a refused bearer token counts as a failed authentication.
            if bearer != nil, let decision = try await limiter?.authenticationFailed(from: context.clientAddress), !decision.allowed {
                throw RateLimitHeaders.refusal(decision)
            }
            if redirectsToSignIn { return Self.toSignIn(clearingCookie: cookie != nil, secure: secureCookies) }
            throw error
        }
        if bearer == nil, checksCSRFHeader, !Self.isSafe(request.method),
            !ConstantTime.equal(request.headers[Self.csrfHeader] ?? "", identity.session.csrfToken)
        {
            throw DomainError(.csrfFailed, "Send the session's CSRF token in X-CSRF-Token.")
        }
        context.console = identity
        context.logger[metadataKey: "user_id"] = .stringConvertible(identity.user.id)
        if let firm = identity.firm { context.logger[metadataKey: "firm_id"] = .stringConvertible(firm.id) }
        return try await next(request, context)
    }

    static func isSafe(_ method: HTTPRequest.Method) -> Bool { method == .get || method == .head }

    /// To the sign-in page; with `clearingCookie`, the ended session's cookie is expired so the browser stops sending it.
    static func toSignIn(clearingCookie: Bool, secure: Bool) -> Response {
        var response = Response.redirect(to: "/console/sign-in", type: .normal)
        if clearingCookie { response.setCookie(endedSessionCookie(secure: secure)) }
        return response
    }

    /// The session cookie, expired.
    static func endedSessionCookie(secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: "", expires: Date(timeIntervalSince1970: 0), path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func bearerToken(_ header: String) -> SessionToken? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return SessionToken(parts[1].trimmingCharacters(in: .whitespaces))
    }
}

/// Lets through only signed-in firm users (owner, developer); an admin gets 403. A firm that is suspended or whose
/// subscription has expired may still read (its messages, ledger, settings) but change nothing: a write (buying
/// credits, which prompts a phone; a test webhook; a key; an invitation) gets 403 `account_suspended` or
/// `subscription_expired`, as its API keys do for everything. Routes that only take access away (revoking a key,
/// removing a user) sit behind one made with `takesAccessAway`, which lets their writes through: a suspended firm
/// must still be able to shut out someone who left.
struct FirmUserMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let time: any TimeSource
    var takesAccessAway = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let firm = try context.requireConsole().requireFirm()
        if !takesAccessAway, !ConsoleSessionMiddleware.isSafe(request.method), let denial = firm.accessDenial(at: time.now) { throw denial }
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// On a route open to a suspended or expired firm because it takes access away, the part that would give some:
    /// 403 (as every other write) unless the firm is active.
    func requireActiveFirm(at now: Date) throws {
        if let denial = try requireConsole().requireFirm().accessDenial(at: now) { throw denial }
    }
}

/// Lets through only platform admins; a firm user gets 403.
struct AdminMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try context.requireConsole().requireAdmin()
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// The signed-in console identity.
    /// - Throws: `.unauthenticated` when the route was reached without a session.
    func requireConsole() throws -> ConsoleIdentity {
        guard let console else { throw DomainError(.unauthenticated, "Sign in first: the session is missing or has ended.") }
        return console
    }
}
