import Foundation
import Hummingbird
import WLDomain
import WLPorts
import WLServices

/// The console's pages under `/console`, rendered on the server from the templates in `Resources/Console`. Every
/// form posts back here with the session's CSRF token and is answered with a redirect (303) to the page it changed,
/// except when a secret must be shown once: then the page is rendered in the answer.
struct ConsolePages: Sendable {
    let console: ConsoleDependencies
    let api: APIDependencies

    /// The cookie that carries the sign-in form's CSRF token before there is a session.
    static let signInCookie = "wl_signin"

    func addRoutes(router: Router<AppRequestContext>, routes: RouteTable) {
        let base = router.group("console").add(middleware: ConsolePageErrorMiddleware())
        // The stylesheet and script are constant and cached by the browser: not worth counting.
        routes.registrar(base, prefix: "/console").get("static/:file", use: asset)
        // Before sign-in there is no user to count, so the client address is counted instead.
        let beforeSignIn = base.group().add(middleware: ConsoleRateLimitMiddleware(limiter: api.limiter, addsFields: false))
        let open = routes.registrar(beforeSignIn, prefix: "/console")
        open.get("sign-in", use: signInPage)
        open.post("sign-in", use: signIn)
        open.get("invite/:token", use: invitationPage)
        open.post("invite/:token", use: acceptInvitation)
        // The error page inside the session knows who is signed in, for its header and sign-out button, and the
        // limit counts the user (a group's middleware applies to the routes added after it: not to those above).
        let signedIn = base.add(
            middleware: ConsoleSessionMiddleware(
                accounts: console.accounts, limiter: api.limiter, checksCSRFHeader: false, redirectsToSignIn: true,
                secureCookies: !console.insecureCookies)
        ).add(middleware: ConsolePageErrorMiddleware()).add(middleware: ConsoleRateLimitMiddleware(limiter: api.limiter, addsFields: false))
        let session = routes.registrar(signedIn, prefix: "/console")
        session.get("", use: home)
        session.post("sign-out", use: signOut)
        session.post("sign-out-everywhere", use: signOutEverywhere)
        session.get("password", use: passwordPage)
        session.post("password", use: changePassword)

        let firmPages = FirmPages(console: console, api: api)
        let firm = routes.registrar(signedIn.group().add(middleware: FirmUserMiddleware(time: api.time)), prefix: "/console")
        firmPages.addRoutes(to: firm)
        let takingAway = signedIn.group().add(middleware: FirmUserMiddleware(time: api.time, takesAccessAway: true))
        firmPages.addRevocationRoutes(to: routes.registrar(takingAway, prefix: "/console"))
        let admin = routes.registrar(signedIn.group("admin").add(middleware: AdminMiddleware()), prefix: "/console/admin")
        AdminPages(console: console).addRoutes(to: admin)
    }

    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
        ConsoleRenderer.redirect(try context.requireConsole().user.role == .admin ? "/console/admin/firms" : "/console/integration")
    }

    @Sendable func asset(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let name = context.parameters.get("file"), let asset = ConsoleRenderer.assets[name] else {
            throw DomainError(.notFound, "No such file.")
        }
        return Response(
            status: .ok, headers: [.contentType: asset.type, .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }

    @Sendable func signInPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let notice = request.queryDictionary["done"] == "password-set" ? "Password set. Sign in with it." : nil
        return signInResponse(email: "", error: nil, status: .ok, notice: notice)
    }

    private func signInResponse(email: String, error: String?, status: HTTPResponse.Status, notice: String? = nil) -> Response {
        var context: [String: Any] = ["title": "Sign in", "email": email]
        if let error { context["error"] = error }
        if let notice { context["notice"] = notice }
        return preSessionPage("sign-in", context, status: status)
    }

    /// A page with a form but no session yet: its CSRF token is also set as the `wl_signin` cookie (double submit).
    private func preSessionPage(_ template: String, _ context: [String: Any], status: HTTPResponse.Status) -> Response {
        let token = SessionToken.generate().secret
        var context = context
        context["csrf"] = token
        var response = ConsoleRenderer.page(template, context, status: status)
        response.setCookie(
            Cookie(name: Self.signInCookie, value: token, path: "/console", secure: !console.insecureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    /// Whether a form made before there was a session carries the token of its `wl_signin` cookie (double submit). The
    /// token must have the shape this server makes: an empty cookie and an empty field are not a match.
    private static func isFresh(_ form: [String: String], _ request: Request) -> Bool {
        guard let expected = request.cookies[signInCookie]?.value, SessionToken(expected) != nil else { return false }
        return ConstantTime.equal(form["_csrf"] ?? "", expected)
    }

    @Sendable func invitationPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        invitationResponse(token: context.parameters.get("token") ?? "", error: nil, status: .ok)
    }

    private func invitationResponse(token: String, error: String?, status: HTTPResponse.Status) -> Response {
        var page: [String: Any] = ["title": "Choose your password", "action": "/console/invite/" + (SessionToken(token)?.secret ?? "invalid")]
        if let error { page["error"] = error }
        return preSessionPage("invite", page, status: status)
    }

    @Sendable func acceptInvitation(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let form = try await ConsoleForm.fields(request, context: context)
        guard Self.isFresh(form, request) else {
            return invitationResponse(token: token, error: "The form had expired. Please try again.", status: .forbidden)
        }
        guard form["password"] == form["password_confirm"] else {
            return invitationResponse(token: token, error: "The two passwords differ.", status: .unprocessableContent)
        }
        if let refused = try await tooManyPasswordChecks(context, page: { invitationResponse(token: token, error: $0, status: .tooManyRequests) }) {
            return refused
        }
        do {
            _ = try await console.accounts.acceptInvitation(SessionToken(token), password: form["password"] ?? "", origin: context.auditOrigin)
            return ConsoleRenderer.redirect("/console/sign-in?done=password-set")
        } catch let error as DomainError where error.code == .validation || error.code == .notFound {
            let detail = error.fields["password"].map { " Password: " + $0.joined(separator: ", ") + "." } ?? ""
            return invitationResponse(
                token: token, error: error.message + detail, status: error.code == .notFound ? .notFound : .unprocessableContent)
        }
    }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let decision = try await api.limiter.authenticationAllowed(from: context.clientAddress), !decision.allowed {
            return signInResponse(
                email: "", error: "Too many failed sign-ins from your address. Wait a minute and try again.", status: .tooManyRequests)
        }
        let form = try await ConsoleForm.fields(request, context: context)
        let email = form["email"] ?? ""
        guard Self.isFresh(form, request) else {
            return signInResponse(email: email, error: "The form had expired. Please sign in again.", status: .forbidden)
        }
        if let refused = try await tooManyPasswordChecks(context, page: { signInResponse(email: email, error: $0, status: .tooManyRequests) }) {
            return refused
        }
        do {
            let (token, identity) = try await console.accounts.signIn(
                email: email, password: form["password"] ?? "", kind: .cookie, origin: context.auditOrigin)
            // The browser's previous session, if any, ends: one browser holds one session. Should that fail, the old
            // session ends on its own (idle or lifetime) and the new one, already open, is still handed over.
            if let previous = request.cookies[ConsoleSessionMiddleware.cookieName].flatMap({ SessionToken($0.value) }) {
                try? await console.accounts.signOut(previous)
            }
            let cookie = Cookie(
                name: ConsoleSessionMiddleware.cookieName, value: token.secret, path: "/", secure: !console.insecureCookies, httpOnly: true,
                sameSite: .strict)
            return ConsoleRenderer.redirect(identity.user.role == .admin ? "/console/admin/firms" : "/console/integration", cookies: [cookie])
        } catch let error as DomainError where error.code == .unauthenticated {
            _ = try await api.limiter.authenticationFailed(from: context.clientAddress)
            return signInResponse(email: email, error: "Wrong email or password.", status: .unauthorized)
        } catch let error as DomainError where error.code == .accountLocked {
            var response = signInResponse(email: email, error: error.message, status: .tooManyRequests)
            if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        }
    }

    /// The page `page` makes of a refusal, when this password check is one too many from the client's address (it is
    /// counted either way); `nil` when it may run.
    func tooManyPasswordChecks(_ context: AppRequestContext, page: (String) -> Response) async throws -> Response? {
        guard let decision = try await api.limiter.passwordCheck(from: context.clientAddress), !decision.allowed else { return nil }
        let seconds = decision.retryAfter ?? 1
        var response = page("Too many password checks from your address. Try again in \(seconds) s.")
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await ConsoleForm.checked(request, context: context)
        if let token = request.cookies[ConsoleSessionMiddleware.cookieName].flatMap({ SessionToken($0.value) }) {
            try await console.accounts.signOut(token)
        }
        return signedOutRedirect
    }

    /// Ends every session of the signed-in user, this browser's too.
    @Sendable func signOutEverywhere(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await ConsoleForm.checked(request, context: context)
        _ = try await console.accounts.signOutEverywhere(try context.requireConsole().user, origin: context.auditOrigin)
        return signedOutRedirect
    }

    /// To the sign-in page, with the session cookie expired.
    private var signedOutRedirect: Response {
        ConsoleRenderer.redirect("/console/sign-in", cookies: [ConsoleSessionMiddleware.endedSessionCookie(secure: !console.insecureCookies)])
    }
}

/// Reads a console form and checks its CSRF token.
enum ConsoleForm {
    /// The largest form read, in bytes (a contacts CSV pasted in the page: 1 MiB).
    static let maximumSize = 1_048_576

    /// The form's fields (the first of each name).
    /// - Throws: `.validation` when a name or value holds a control character other than tab and line breaks.
    static func fields(_ request: Request, context: AppRequestContext) async throws -> [String: String] {
        let data = try await request.bodyData(context: context, limit: maximumSize)
        let form = FormEncoding.decode(String(decoding: data, as: UTF8.self))
        // `%00` decodes to NUL, which PostgreSQL refuses in text (a 500 at the write); no other C0 control character
        // belongs in a typed field either. Text areas send line breaks, and a tab may be pasted.
        if form.contains(where: { hasControl($0.key) || hasControl($0.value) }) {
            throw DomainError(.validation, "The form may not contain control characters such as NUL (%00); tabs and line breaks are fine.")
        }
        return form
    }

    /// Whether `text` has a C0 control character other than tab, line feed and carriage return.
    static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" }
    }

    /// The form's fields, once its `_csrf` matched the session's.
    /// - Throws: `.csrfFailed` when it does not.
    static func checked(_ request: Request, context: AppRequestContext) async throws -> [String: String] {
        let form = try await fields(request, context: context)
        guard ConstantTime.equal(form["_csrf"] ?? "", try context.requireConsole().session.csrfToken) else {
            throw DomainError(.csrfFailed, "The form's security token did not match your session. Reload the page and try again.")
        }
        return form
    }
}

/// Turns an error in a page into a small HTML page with the right status (JSON is for the APIs); server errors are
/// logged with the request id, as ``ErrorMiddleware`` does.
struct ConsolePageErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, envelope, headers) = ErrorMapping.envelope(for: error)
            if status.code >= 500 && status != .serviceUnavailable {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            var page: [String: Any] = ["title": status.reasonPhrase, "error": envelope.message]
            if let identity = context.console {
                page.merge(PageChrome.context(identity, title: status.reasonPhrase, current: "", request: [:])) { $1 }
            }
            var response = ConsoleRenderer.page("error", page, status: status)
            for field in headers { response.headers.append(field) }
            return response
        }
    }
}
