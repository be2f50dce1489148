import Foundation
import Hummingbird
import WLDomain
import WLPorts
public import WLServices

/// What the console and the management API need beyond the public API's dependencies.
public struct ConsoleDependencies: Sendable {
    public var accounts: ConsoleAccounts
    public var actions: ConsoleActions
    public var queries: ConsoleQueries
    public var admin: FirmAdmin
    /// Leave out `Secure` on the session cookie (plain-HTTP development only).
    public var insecureCookies: Bool
    /// The address invitation links start with (`https://comm.example.co.ke`, no trailing slash); nil: the request's
    /// `Host`.
    public var publicURL: String?

    public init(
        accounts: ConsoleAccounts, actions: ConsoleActions, queries: ConsoleQueries, admin: FirmAdmin, insecureCookies: Bool,
        publicURL: String? = nil
    ) {
        self.accounts = accounts
        self.actions = actions
        self.queries = queries
        self.admin = admin
        self.insecureCookies = insecureCookies
        self.publicURL = publicURL
    }
}

/// The management API under `/api/v1/manage`: sessions, the signed-in firm's keys, webhook, credits, messages and
/// contacts (`/firm/...`, firm users only), and the platform's firms and audit log (`/admin/...`, admins only).
struct ManageController: Sendable {
    static let basePath = "/api/v1/manage"

    let console: ConsoleDependencies
    let api: APIDependencies

    func addRoutes(router: Router<AppRequestContext>, routes: RouteTable) {
        let base = router.group(RouterPath(Self.basePath)).add(middleware: NoStoreMiddleware())
        OpenAPIController(name: "manage").addRoutes(to: routes.registrar(base, prefix: Self.basePath))
        // Before sign-in there is no user to count, so the client address is counted instead.
        let beforeSignIn = base.group().add(middleware: ConsoleRateLimitMiddleware(limiter: api.limiter, addsFields: true))
        let open = routes.registrar(beforeSignIn, prefix: Self.basePath)
        open.post("sessions", use: signIn)
        open.post("invitations/accept", use: acceptInvitation)
        // A group's middleware applies to the routes added after it, so the routes above have neither of these.
        let signedIn = base.add(
            middleware: ConsoleSessionMiddleware(
                accounts: console.accounts, limiter: api.limiter, checksCSRFHeader: true, redirectsToSignIn: false,
                secureCookies: !console.insecureCookies)
        ).add(middleware: ConsoleRateLimitMiddleware(limiter: api.limiter, addsFields: true))
        let session = routes.registrar(signedIn, prefix: Self.basePath)
        session.on(.delete, "sessions/current", use: signOut)
        session.on(.delete, "sessions", use: signOutEverywhere)
        session.get("me", use: me)
        session.post("me/password", use: changePassword)

        let firmGroup = signedIn.group("firm").add(middleware: FirmUserMiddleware(time: api.time))
        let firm = routes.registrar(firmGroup, prefix: Self.basePath + "/firm")
        firm.get("", use: showFirm)
        firm.get("api-keys", use: keys)
        firm.post("api-keys", use: createKey)
        firm.get("webhook", use: webhook)
        firm.on(.put, "webhook", use: setWebhook)
        firm.on(.delete, "webhook", use: deleteWebhook)
        firm.post("webhook/secret", use: rotateSecret)
        let webhooks = WebhooksController(webhooks: api.webhooks, limiter: api.limiter)
        firm.post("webhook/test", use: webhooks.test)
        firm.get("webhook/deliveries", use: webhooks.list)
        firm.post("webhook/deliveries/:delivery_id/redeliver", use: webhooks.redeliver)
        let credits = CreditsController(accounts: api.accounts, payments: api.payments)
        firm.get("ledger", use: credits.transactions)
        firm.post("purchases", use: purchase)
        firm.get("purchases/:payment_id", use: credits.purchaseStatus)
        let sms = MessageRoutes(service: api.sms)
        let email = MessageRoutes(service: api.email)
        firm.get("sms", use: sms.list)
        firm.get("sms/:message_id", use: { try await timeline($0, $1, channel: .sms) })
        firm.get("email", use: email.list)
        firm.get("email/:message_id", use: { try await timeline($0, $1, channel: .email) })
        firm.get("opt-outs", use: OptOutRoutes(optOuts: api.optOuts).list)
        firm.get("blasts/:blast_id", use: blast)
        firm.post("contacts/import", use: importContacts)
        firm.get("delivery-stats", use: deliveryStats)
        firm.get("users", use: users)
        firm.post("users", use: inviteUser)
        let takingAway = signedIn.group("firm").add(middleware: FirmUserMiddleware(time: api.time, takesAccessAway: true))
        let revocations = routes.registrar(takingAway, prefix: Self.basePath + "/firm")
        revocations.on(.delete, "api-keys/:key_id", use: revokeKey)
        revocations.on(.delete, "users/:user_id", use: removeUser)
        revocations.on(.patch, "users/:user_id", use: changeRole)

        let adminGroup = signedIn.group("admin").add(middleware: AdminMiddleware())
        let admin = routes.registrar(adminGroup, prefix: Self.basePath + "/admin")
        admin.get("firms", use: firms)
        admin.post("firms", use: createFirm)
        admin.get("firms/:firm_id", use: showAdminFirm)
        admin.on(.patch, "firms/:firm_id", use: updateFirm)
        admin.post("firms/:firm_id/credits", use: adjustCredits)
        admin.post("firms/:firm_id/users", use: inviteFirmUser)
        admin.on(.delete, "firms/:firm_id/users/:user_id", use: removeFirmUser)
        admin.on(.patch, "firms/:firm_id/users/:user_id", use: changeFirmUserRole)
        admin.get("audit", use: audit)
    }

    // MARK: Sessions

    struct SignInRequest: Decodable {
        var email: String
        var password: String
    }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<SessionView>> {
        if let decision = try await api.limiter.authenticationAllowed(from: context.clientAddress), !decision.allowed {
            throw RateLimitHeaders.refusal(decision)
        }
        let body = try await request.decodeJSON(as: SignInRequest.self, context: context, known: ["email", "password"])
        if let decision = try await api.limiter.passwordCheck(from: context.clientAddress), !decision.allowed {
            throw RateLimitHeaders.refusal(decision)
        }
        do {
            let (token, identity) = try await console.accounts.signIn(
                email: body.email, password: body.password, kind: .bearer, origin: context.auditOrigin)
            return EditedResponse(
                status: .created,
                response: SuccessEnvelope(
                    message: "Signed in.",
                    data: SessionView(
                        token: token.secret, expiresAt: FirmTime.preciseUTC(identity.session.expiresAt), user: UserView(identity.user))))
        } catch let error as DomainError where error.code == .unauthenticated {
            if let decision = try await api.limiter.authenticationFailed(from: context.clientAddress), !decision.allowed {
                throw RateLimitHeaders.refusal(decision)
            }
            throw error
        }
    }

    struct SignedOut: Encodable, Sendable {
        var signedOut = true
        enum CodingKeys: String, CodingKey { case signedOut = "signed_out" }
    }

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<SignedOut> {
        let bearer = request.headers[.authorization].flatMap(ConsoleSessionMiddleware.bearerToken)
        let cookie = request.cookies[ConsoleSessionMiddleware.cookieName].flatMap { SessionToken($0.value) }
        if let token = bearer ?? cookie { try await console.accounts.signOut(token) }
        return SuccessEnvelope(message: "Signed out.", data: SignedOut())
    }

    struct SessionsEnded: Encodable, Sendable {
        var sessionsEnded: Int
        enum CodingKeys: String, CodingKey { case sessionsEnded = "sessions_ended" }
    }

    @Sendable func signOutEverywhere(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<SessionsEnded> {
        let ended = try await console.accounts.signOutEverywhere(try context.requireConsole().user, origin: context.auditOrigin)
        return SuccessEnvelope(
            message: "Signed out everywhere: every session of yours has ended, this one too.", data: SessionsEnded(sessionsEnded: ended))
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<UserView> {
        SuccessEnvelope(data: UserView(try context.requireConsole().user))
    }

    // MARK: The firm

    @Sendable func showFirm(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<FirmView> {
        SuccessEnvelope(data: FirmView(firm: try await console.admin.firm(String(try context.firmID()))))
    }

    struct KeyList: Encodable, Sendable {
        var apiKeys: [KeyView]
        enum CodingKeys: String, CodingKey { case apiKeys = "api_keys" }
    }

    @Sendable func keys(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<KeyList> {
        let firm = try context.firm()
        let records = try await console.admin.keys(firm: String(firm.id))
        return SuccessEnvelope(data: KeyList(apiKeys: records.map { KeyView(record: $0, secret: nil, timezone: firm.timezone) }))
    }

    struct KeyRequest: Decodable {
        var label: String
    }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<KeyView>> {
        let firm = try context.firm()
        let body = try await request.decodeJSON(as: KeyRequest.self, context: context, known: ["label"])
        let (key, record) = try await console.actions.createKey(firm: firm, label: body.label, origin: context.auditOrigin)
        return EditedResponse(
            status: .created,
            response: SuccessEnvelope(
                message: "Key created. Copy it now: it is not shown again.",
                data: KeyView(record: record, secret: key.secret, timezone: firm.timezone)))
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<KeyView> {
        let firm = try context.firm()
        guard let id = context.parameters.get("key_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such key.") }
        let record = try await console.actions.revokeKey(firm: firm, keyID: id, origin: context.auditOrigin)
        return SuccessEnvelope(message: "Key revoked.", data: KeyView(record: record, secret: nil, timezone: firm.timezone))
    }

    @Sendable func webhook(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<WebhookView?> {
        let firm = try context.firm()
        let settings = try await api.store.webhook(firmID: firm.id)
        return SuccessEnvelope(data: settings.map { WebhookView(settings: $0, timezone: firm.timezone) })
    }

    struct WebhookRequest: Decodable {
        var url: String
    }

    @Sendable func setWebhook(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<WebhookView> {
        let firm = try context.firm()
        let body = try await request.decodeJSON(as: WebhookRequest.self, context: context, known: ["url"])
        let settings = try await console.actions.setWebhookURL(firm: firm, url: body.url, origin: context.auditOrigin)
        return SuccessEnvelope(message: "Webhook saved.", data: WebhookView(settings: settings, timezone: firm.timezone))
    }

    @Sendable func deleteWebhook(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<WebhookView?> {
        try await console.actions.deleteWebhook(firm: try context.firm(), origin: context.auditOrigin)
        return SuccessEnvelope(message: "Webhook removed.", data: nil)
    }

    struct SecretView: Encodable, Sendable {
        var secret: String
    }

    @Sendable func rotateSecret(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<SecretView>> {
        let secret = try await console.actions.rotateWebhookSecret(firm: try context.firm(), origin: context.auditOrigin)
        return EditedResponse(
            status: .created,
            response: SuccessEnvelope(
                message: "New secret. Copy it now: it is not shown again. X-WL-Signature uses it at once; "
                    + "for 24 hours webhook-signature also carries a signature with the old one.",
                data: SecretView(secret: secret)))
    }

    @Sendable func purchase(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<PaymentResponse>> {
        guard try context.requireConsole().user.role == .owner else { throw DomainError(.forbidden, "Only the firm's owner may buy credits.") }
        return try await CreditsController(accounts: api.accounts, payments: api.payments).purchase(request, context: context)
    }

    @Sendable func timeline(_ request: Request, _ context: AppRequestContext, channel: Channel) async throws -> SuccessEnvelope<TimelineView> {
        let firm = try context.firm()
        let (message, events) = try await console.queries.timeline(firmID: firm.id, messageID: try context.messageID(), channel: channel)
        return SuccessEnvelope(data: TimelineView(message: message, events: events, timezone: firm.timezone))
    }

    @Sendable func blast(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<BlastView> {
        let firm = try context.firm()
        let summary = try await console.queries.blast(firmID: firm.id, blastID: try context.parameters.require("blast_id"))
        return SuccessEnvelope(data: BlastView(summary: summary, timezone: firm.timezone))
    }

    @Sendable func importContacts(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<ImportView> {
        let firm = try context.firm()
        let data = try await request.bodyData(context: context)
        guard let csv = String(data: data, encoding: .utf8) else {
            throw DomainError(.validation, "The CSV must be UTF-8 text.", fields: ["body": ["UTF-8 CSV"]])
        }
        return SuccessEnvelope(data: try await Self.importCSV(csv, firm: firm, admin: console.admin))
    }

    /// Imports a file of at most ``ContactsRequest/maximum`` contacts in one transaction: all of it or, should the
    /// database fail midway, none.
    static func importCSV(_ csv: String, firm: Firm, admin: FirmAdmin) async throws -> ImportView {
        let (summary, errors) = try await admin.importContacts(
            firm: String(firm.id), csv: csv, batchSize: ContactsRequest.maximum, maximumContacts: ContactsRequest.maximum)
        return ImportView(
            inserted: summary.inserted, updated: summary.updated,
            errors: errors.map { ImportView.LineError(line: $0.line, message: $0.message) })
    }

    @Sendable func deliveryStats(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<StatsView> {
        let raw = request.queryDictionary["days"] ?? "14"
        guard let days = Int(raw), (1...ConsoleQueries.maximumChartDays).contains(days) else {
            throw DomainError(.validation, "The query is not valid.", fields: ["days": ["A whole number from 1 to 90."]])
        }
        return SuccessEnvelope(data: StatsView(try await console.queries.deliveryStats(firmID: try context.firmID(), days: days)))
    }

    // MARK: The platform (admins)

    struct FirmList: Encodable, Sendable {
        var firms: [FirmView]
    }

    @Sendable func firms(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<FirmList> {
        SuccessEnvelope(data: FirmList(firms: try await console.admin.firms().map { FirmView(firm: $0) }))
    }

    struct NewFirmRequest: Decodable {
        var slug: String
        var name: String
        var smsRate: KES
        var mode: String?
        enum CodingKeys: String, CodingKey {
            case slug, name, mode
            case smsRate = "sms_rate"
        }
    }

    @Sendable func createFirm(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<FirmView>> {
        let body = try await request.decodeJSON(as: NewFirmRequest.self, context: context, known: ["slug", "name", "sms_rate", "mode"])
        guard let mode = FirmMode(rawValue: body.mode ?? "live") else {
            throw DomainError(.validation, "The request body is not valid.", fields: ["mode": ["live or sandbox"]])
        }
        let firm = try await console.actions.createFirm(
            try NewFirm(slug: body.slug, name: body.name, smsRate: body.smsRate, mode: mode), origin: context.auditOrigin)
        return EditedResponse(status: .created, response: SuccessEnvelope(message: "Firm created.", data: FirmView(firm: firm)))
    }

    @Sendable func showAdminFirm(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<FirmView> {
        SuccessEnvelope(data: FirmView(firm: try await adminFirm(context)))
    }

    @Sendable func updateFirm(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<FirmView> {
        let firm = try await adminFirm(context)
        let body = try await request.decodeJSON(as: FirmPatchBody.self, context: context)
        let change = try FirmChange(body.values, current: firm)
        let updated = try await console.actions.updateFirm(
            id: firm.id, change.update, detail: change.detail.joined(separator: " "), origin: context.auditOrigin)
        return SuccessEnvelope(message: "Firm updated.", data: FirmView(firm: updated))
    }

    struct CreditRequest: Decodable {
        var amount: Credits
        var reason: String
    }

    @Sendable func adjustCredits(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<TransactionView>> {
        let firm = try await adminFirm(context)
        let body = try await request.decodeJSON(as: CreditRequest.self, context: context, known: ["amount", "reason"])
        let entry = try await console.actions.adjustCredits(firmID: firm.id, amount: body.amount, reason: body.reason, origin: context.auditOrigin)
        return EditedResponse(
            status: .created, response: SuccessEnvelope(message: "Credits adjusted.", data: TransactionView(entry: entry, timezone: firm.timezone)))
    }

    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PageView<AuditView>> {
        let query = request.queryDictionary
        var errors: [String: [String]] = [:]
        let page = PageQuery(query, errors: &errors)
        var firmID: Int64?
        if let raw = query["firm_id"] {
            firmID = Int64(raw)
            if firmID == nil { errors["firm_id"] = ["A whole number."] }
        }
        if !errors.isEmpty { throw DomainError(.validation, "The query is not valid.", fields: errors) }
        let entries = try await console.queries.audit(firmID: firmID, limit: page.limit + 1, startingAfter: page.startingAfter)
        return SuccessEnvelope(data: PageView(key: "entries", fetched: entries.map(AuditView.init), limit: page.limit, cursor: \.entry.id))
    }

    func adminFirm(_ context: AppRequestContext) async throws -> Firm {
        guard let id = context.parameters.get("firm_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such firm.") }
        return try await console.admin.firm(String(id))
    }
}

/// `PATCH /admin/firms/{id}`'s body: which fields are present, and which are `null`.
struct FirmPatchBody: Decodable {
    static let fields = ["name", "status", "sms_rate", "subscription_expires_at", "sender_id_transactional", "sender_id_promotional"]

    var values: [String: String?] = [:]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var unknown: [String: [String]] = [:]
        for key in container.allKeys {
            guard Self.fields.contains(key.stringValue) else {
                unknown[key.stringValue] = ["Unknown field."]
                continue
            }
            if try container.decodeNil(forKey: key) {
                values[key.stringValue] = .some(nil)
            } else if let text = try? container.decode(String.self, forKey: key) {
                values[key.stringValue] = text
            } else if let number = try? container.decode(Double.self, forKey: key), key.stringValue == "sms_rate" {
                values[key.stringValue] = String(number)
            } else {
                unknown[key.stringValue] = ["A string."]
            }
        }
        if !unknown.isEmpty { throw DomainError(.validation, "The request body is not valid.", fields: unknown) }
    }
}
