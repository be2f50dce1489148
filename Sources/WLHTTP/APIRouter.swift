public import Hummingbird
import Logging
public import WLDomain
public import WLPorts
public import WLServices

/// What the HTTP edge needs from the services below it.
public struct APIDependencies: Sendable {
    public var store: any Store
    public var accounts: AccountService
    public var sms: SMSService
    /// Each firm's SMS opt-out list.
    public var optOuts: OptOutService
    public var webhooks: WebhookService
    public var payments: PaymentService
    public var email: EmailService
    /// Signs and checks email tracking links.
    public var tracking: TrackingKeyring
    /// Rate limits per API key and for failed authentication.
    public var limiter: RateLimiter
    /// Where "now" comes from (Idempotency-Key expiry).
    public var time: any TimeSource
    /// How long a client may take to send a request body (408 after it).
    public var bodyReadTimeout: Duration
    /// The provider callback endpoints, when their tokens are configured.
    public var callbacks: ProviderCallbackController?
    /// Renders the Prometheus exposition text for `GET /metrics`; no such route when `nil`.
    public var metrics: (@Sendable () async -> String)?
    /// The bearer token `GET /metrics` asks for; `nil`: loopback clients only.
    public var metricsToken: String?
    /// Serves only `/healthz`, `/readyz` and `/metrics` (a worker-only instance); every other path answers 404.
    public var healthOnly: Bool
    /// Records every request's route, status and duration; none when `nil`.
    public var httpMetrics: (any HTTPMetricsRecorder)?
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    public var trustedProxies: TrustedProxies = .none
    /// The management API and the console pages; neither is served when `nil`.
    public var console: ConsoleDependencies?

    public init(
        store: any Store, accounts: AccountService, sms: SMSService, optOuts: OptOutService? = nil, webhooks: WebhookService,
        payments: PaymentService, email: EmailService, tracking: TrackingKeyring, limiter: RateLimiter, time: any TimeSource,
        bodyReadTimeout: Duration,
        callbacks: ProviderCallbackController? = nil, metrics: (@Sendable () async -> String)? = nil, metricsToken: String? = nil,
        healthOnly: Bool = false
    ) {
        self.store = store
        self.accounts = accounts
        self.sms = sms
        self.optOuts = optOuts ?? OptOutService(store: store, time: time, defaultSenderID: nil, logger: Logger(label: "wlcomm"))
        self.webhooks = webhooks
        self.payments = payments
        self.email = email
        self.tracking = tracking
        self.limiter = limiter
        self.time = time
        self.bodyReadTimeout = bodyReadTimeout
        self.callbacks = callbacks
        self.metrics = metrics
        self.metricsToken = metricsToken
        self.healthOnly = healthOnly
    }
}

/// Builds the router: middleware (request id, error envelope, body limit, 405) and every controller's routes.
public enum APIRouter {
    /// The contract's base path.
    public static let basePath = "/api/v1/communication"

    /// The router with every route of the service (only the health and metrics ones when
    /// ``APIDependencies/healthOnly``).
    public static func build(_ dependencies: APIDependencies) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        let routes = RouteTable()
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: ClientAddressMiddleware(proxies: dependencies.trustedProxies))
        router.add(middleware: AccessLogMiddleware())
        if let recorder = dependencies.httpMetrics { router.add(middleware: HTTPMetricsMiddleware(recorder: recorder)) }
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: RequestLimitsMiddleware(bodyReadTimeout: dependencies.bodyReadTimeout))
        router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
        HealthController(store: dependencies.store, metrics: dependencies.metrics, metricsToken: dependencies.metricsToken).addRoutes(
            to: routes.registrar(router, prefix: ""))
        if dependencies.healthOnly { return router }
        dependencies.callbacks?.addRoutes(to: routes.registrar(router, prefix: ""))
        MpesaCallbackController(payments: dependencies.payments).addRoutes(to: routes.registrar(router, prefix: ""))
        TrackingController(email: dependencies.email, keyring: dependencies.tracking, limiter: dependencies.limiter)
            .addRoutes(to: routes.registrar(router, prefix: ""))
        OpenAPIController().addRoutes(to: routes.registrar(router.group(RouterPath(basePath)), prefix: basePath))
        let api = router.group(RouterPath(basePath))
            .add(middleware: APIKeyMiddleware(accounts: dependencies.accounts, limiter: dependencies.limiter))
            .add(middleware: RateLimitMiddleware(limiter: dependencies.limiter))
            .add(middleware: IdempotencyMiddleware(store: dependencies.store, time: dependencies.time))
        let apiRoutes = routes.registrar(api, prefix: basePath)
        CreditsController(accounts: dependencies.accounts, payments: dependencies.payments).addRoutes(to: apiRoutes)
        SMSController(sms: dependencies.sms, optOuts: dependencies.optOuts).addRoutes(to: apiRoutes)
        ContactsController(contacts: ContactService(store: dependencies.store, time: dependencies.time)).addRoutes(to: apiRoutes)
        PrivacyController(privacy: PrivacyService(store: dependencies.store, time: dependencies.time)).addRoutes(to: apiRoutes)
        EmailController(email: dependencies.email).addRoutes(to: apiRoutes)
        WebhooksController(webhooks: dependencies.webhooks, limiter: dependencies.limiter).addRoutes(to: apiRoutes)
        if let console = dependencies.console {
            ManageController(console: console, api: dependencies).addRoutes(router: router, routes: routes)
            ConsolePages(console: console, api: dependencies).addRoutes(router: router, routes: routes)
        }
        return router
    }
}
