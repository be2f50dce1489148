import AsyncHTTPClient
public import Configuration
public import Hummingbird
public import Logging
public import Prometheus
import ServiceLifecycle
public import WLDomain
import WLHTTP
import WLPorts
import WLProviders
import WLServices
import WLStore

/// The composition root: the only place that knows every concrete type.
public enum WLCommApp {
    /// This build's version (`wlcomm --version`, the start-up line). Pre-release: 0.x until the first tagged release.
    public static let version = "0.9.0"

    /// Builds the whole service from configuration: database (migrated; seeded when asked), services, router and
    /// the HTTP server, with the database as a service that outlives the server on shutdown. The `role` setting
    /// (``ServerRole``) leaves the background workers out (`api`) or the API routes (`worker`).
    /// - Parameters:
    ///   - reader: The configuration (``AppSettings`` documents the keys).
    ///   - time: Where "now" comes from; tests pass a fixed one.
    ///   - metrics: The registry the process bootstrapped swift-metrics with; serves `GET /metrics` when given.
    public static func buildApplication(
        reader: ConfigReader, time: any TimeSource = SystemTimeSource(), logger: Logger? = nil,
        metrics: PrometheusCollectorRegistry? = nil
    ) async throws -> some ApplicationProtocol {
        let settings = AppSettings(reader: reader)
        let logger = {
            var logger = logger ?? Logger(label: "wlcomm")
            logger.logLevel = settings.logLevel
            return logger
        }()
        try settings.checkRole()
        try settings.checkConsolePublicURL()
        try settings.checkSandboxSeeding()
        try settings.checkBcryptCost()
        let trustedProxies = try settings.trustedProxies()
        let promotional = try settings.promotionalPolicy()
        logger.info("starting", metadata: settings.startupSummary)
        let secrets = try settings.store.secretBox(settings.secrets, logger: logger)
        let database = try await settings.store.open(
            logger: logger, unavailableAfter: settings.databaseUnavailableAfter, maximumConnections: settings.databaseMaxConnections,
            preparedStatements: settings.databasePreparedStatements)
        // On SQLite "down" means writes fail (a full disk, an I/O error); reads go on.
        if let metrics, let availability = (database as? PostgresDatabase)?.availability ?? (database as? SQLiteDatabase)?.availability {
            PrometheusMetrics.observe(availability, in: metrics)
        }
        let outboxWritten = WorkSignal()
        let signal = WorkSignal()
        let paymentSignal = WorkSignal()
        let emailSignal = WorkSignal()
        let draining = Draining(waking: [signal, outboxWritten, paymentSignal, emailSignal])
        let store = SQLStore(database: database, secrets: secrets, outboxWritten: outboxWritten)
        let accounts = AccountService(store: store, time: time, cacheLifetime: settings.authenticationCacheLifetime)
        let ready = ReadinessGate()
        let work: any WorkMetrics = metrics.map { PrometheusWorkMetrics(registry: $0) } ?? NoWorkMetrics()
        let optOutCache = OptOutCache(lifetime: settings.optOutCacheLifetime)
        let sms = SMSService(store: store, time: time, signal: signal, policy: promotional, optOutCache: optOutCache)
        let optOuts = OptOutService(
            store: store, time: time, defaultSenderID: settings.africasTalking?.senderID, logger: logger, cache: optOutCache)
        let live = MeteredSMSProvider(
            settings.africasTalking.map { AfricasTalkingProvider(settings: $0, client: .shared, logger: logger) } ?? UnconfiguredSMSProvider(),
            name: settings.africasTalking == nil ? "unconfigured" : "africastalking", metrics: work)
        let callbacks = settings.africasTalkingCallbackToken.map {
            ProviderCallbackController(
                reports: DeliveryReports(store: store, time: time, logger: logger, metrics: work), optOuts: optOuts, africasTalkingToken: $0)
        }
        let backlog = settings.webhookYield.map { DispatchBacklog(patience: $0) }
        let dispatcher = SMSDispatcher(
            store: store, time: time, live: live, sandbox: MeteredSMSProvider(SandboxSMSProvider(), name: "sandbox", metrics: work), signal: signal,
            ready: ready, settings: settings.dispatcher, policy: promotional, logger: logger, metrics: work,
            liveName: settings.africasTalking == nil ? "unconfigured" : "africastalking", optOutCache: optOutCache, backlog: backlog,
            draining: draining)
        let payments = PaymentService(
            store: store, time: time,
            live: MeteredPaymentGateway(
                settings.daraja.map { DarajaGateway(settings: $0, client: .shared, time: time, logger: logger) } ?? UnconfiguredPaymentGateway(),
                name: settings.daraja == nil ? "unconfigured" : "daraja", metrics: work),
            reconcileAfter: settings.reconcileAfter, limits: settings.purchaseLimits, signal: paymentSignal, logger: logger, metrics: work)
        let reconciler = PaymentReconciler(
            payments: payments, signal: paymentSignal, ready: ready, lease: settings.dispatcher.lease, logger: logger, draining: draining)
        let email = EmailService(store: store, time: time, signal: emailSignal)
        let keyring = TrackingKeyring(secret: settings.trackingSecret)
        let smtp = try settings.smtp.map { try SMTPTransport(settings: $0, logger: logger) }
        let emailDispatcher = EmailDispatcher(
            store: store, time: time,
            live: MeteredEmailTransport(smtp ?? UnconfiguredEmailTransport(), name: smtp == nil ? "unconfigured" : "smtp", metrics: work),
            sandbox: MeteredEmailTransport(SandboxEmailTransport(), name: "sandbox", metrics: work),
            tracking: TrackingSettings(baseURL: settings.trackingBaseURL, keyring: keyring), defaultFrom: settings.smtpDefaultFrom,
            signal: emailSignal, ready: ready, settings: settings.dispatcher, concurrency: settings.smtp?.poolSize ?? 4, logger: logger,
            metrics: work, draining: draining)
        let webhookTransport = HTTPWebhookTransport(
            allowPrivate: settings.webhooksAllowPrivate, connectionsPerHost: settings.webhookMaxConcurrency)
        let deliverer = WebhookDeliverer(
            store: store, time: time, transport: webhookTransport, ready: ready, perEndpoint: settings.webhookConcurrency,
            maxPerEndpoint: settings.webhookMaxConcurrency, lease: settings.webhookLease, signal: outboxWritten, backlog: backlog, logger: logger,
            metrics: work, draining: draining)
        let housekeeper = Housekeeper(store: store, time: time, ready: ready, settings: settings.housekeeping, logger: logger)
        var exposition: (@Sendable () async -> String)? = nil
        if let metrics {
            let queues = QueueMetrics(store: store, time: time, registry: metrics)
            exposition = {
                await queues.refresh()
                return metrics.emitToString()
            }
        }
        var dependencies =
            APIDependencies(
                store: store, accounts: accounts, sms: sms, optOuts: optOuts,
                webhooks: WebhookService(store: store, time: time, transport: webhookTransport),
                payments: payments, email: email, tracking: keyring,
                limiter: RateLimiter(
                    store: database.dialect == .postgres ? store : InProcessRateLimits(), time: time, settings: settings.limits),
                time: time, bodyReadTimeout: settings.bodyReadTimeout, callbacks: callbacks, metrics: exposition,
                metricsToken: settings.metricsToken, healthOnly: !settings.role.servesAPI)
        dependencies.trustedProxies = trustedProxies
        dependencies.httpMetrics = metrics.map { PrometheusHTTPMetrics(registry: $0) }
        // A line of its own: several servers in one process (the tests) must not refuse each other's sign-ins.
        let consoleAccounts = ConsoleAccounts(
            store: store, time: time, settings: settings.console, passwords: PasswordLine(limit: PasswordLine.defaultLimit), logger: logger)
        let firmAdmin = FirmAdmin(store: store, time: time, allowPrivateWebhooks: settings.webhooksAllowPrivate)
        dependencies.console = ConsoleDependencies(
            accounts: consoleAccounts,
            actions: ConsoleActions(store: store, admin: firmAdmin, accounts: consoleAccounts, authentications: accounts.cache),
            queries: ConsoleQueries(store: store, time: time), admin: firmAdmin, insecureCookies: settings.consoleInsecureCookies,
            publicURL: settings.consolePublicURL)
        let router = APIRouter.build(dependencies)
        // ServiceGroup starts these in order and, on SIGTERM, stops them in reverse, each after the one behind it has
        // finished; Hummingbird appends the HTTP server, so it stops first. Hence every service comes after all it
        // uses: the database first (it stops last), then the clients the API and the workers call (webhook HTTP
        // client, SMTP pool), then the workers, which finish their round in flight while all of those still work.
        // Last, the one that tells every worker at once to stop claiming: each would otherwise hear of the shutdown
        // only when its turn came, claiming new batches while the ones before it drained.
        let transports: [any Service] = [webhookTransport] + (settings.role.runsWorkers ? smtp.map { [$0] } ?? [] : [])
        let workers: [any Service] =
            settings.role.runsWorkers ? [dispatcher, emailDispatcher, deliverer, reconciler, housekeeper, DrainingService(draining)] : []
        let connections = ConnectionLimiter(total: settings.maxConnections, perAddress: settings.maxConnectionsPerAddress)
        var app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [connections.handler()], idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds)))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "wlcomm"),
            services: [database] + transports + workers,
            logger: logger)
        let seed = settings.seedSandbox
        app.beforeServerStarts {
            let applied = try await waitForDatabase(upTo: settings.databaseStartupWait, logger: logger) { try await store.migrate() }
            if !applied.isEmpty { logger.info("database migrated", metadata: ["versions": "\(applied)"]) }
            try await store.resealSecrets(.plaintext)
            let reduced = try await store.rewriteAuditDetails(actions: ConsoleActions.webhookAuditActions, ConsoleActions.reaudited)
            if reduced > 0 { logger.info("audit lines reduced to their webhook URL's origin", metadata: ["count": "\(reduced)"]) }
            if !settings.liveProviders.isEmpty && !settings.allowSandboxInProduction {
                try await SandboxLeftovers.refuse(store: store, accounts: consoleAccounts, liveProviders: settings.liveProviders)
            }
            if seed {
                let firm = try await SandboxSeeder(store: store, time: time).seed()
                try await consoleAccounts.seedSandboxUser(firm: firm)
                logger.info("sandbox firm ready", metadata: ["firm_id": "\(firm.id)", "slug": "\(firm.slug)"])
            }
            if keyring.signer == nil {
                keyring.set(secret: try await store.serviceSecret("tracking", candidate: CallbackToken().value, now: time.now))
            }
            ready.open()
        }
        return app
    }
}
