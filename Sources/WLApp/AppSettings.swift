public import Configuration
import Foundation
public import Logging
public import WLDomain
import WLPorts
public import WLProviders
public import WLServices
public import WLStore

/// Every setting of the service, read once from configuration.
///
/// | key | environment | type | default |
/// |---|---|---|---|
/// | `host` | `WLCOMM_HOST` | string | `127.0.0.1` |
/// | `port` | `WLCOMM_PORT` | int | `8080` |
/// | `database.url` | `WLCOMM_DATABASE_URL` | string, secret | `./data/wlcomm.sqlite` (SQLite) |
/// | `database.unavailableAfterMilliseconds` | `WLCOMM_DATABASE_UNAVAILABLE_AFTER_MILLISECONDS` | int | `1500`: a request waits at most this for a connection (SQLite: the write lock), then answers 503 (within 2 s in all) |
/// | `database.maxConnections` | `WLCOMM_DATABASE_MAX_CONNECTIONS` | int (at least 1): PostgreSQL connections per instance | `20`; keep instances × this under the server's `max_connections` |
/// | `database.preparedStatements` | `WLCOMM_DATABASE_PREPARED_STATEMENTS` | int, 0 = none | `512`: PostgreSQL: how many statement texts run as prepared statements, each parsed once per connection |
/// | `database.startupWaitSeconds` | `WLCOMM_DATABASE_STARTUP_WAIT_SECONDS` | int | `30`: how long start-up waits for an unreachable database before exiting non-zero |
/// | `seed.sandbox` | `WLCOMM_SEED_SANDBOX` | bool | `false` |
/// | `seed.allowSandboxInProduction` | `WLCOMM_SEED_ALLOW_SANDBOX_IN_PRODUCTION` | bool | `false`: no public sandbox key beside live providers (neither seeded now nor left from an earlier seeding, nor the sandbox console user) |
/// | `log.level` | `WLCOMM_LOG_LEVEL` | trace…critical | `info` |
/// | `log.format` | `WLCOMM_LOG_FORMAT` | `text` or `json` (one object per line, see ``JSONLogHandler``) | `text` |
/// | `role` | `WLCOMM_ROLE` | `all`, `api` or `worker` (see ``ServerRole``) | `all` |
/// | `shutdown.graceSeconds` | `WLCOMM_SHUTDOWN_GRACE_SECONDS` | int | `25`: after SIGTERM, work in flight may take this long before it is cancelled |
/// | `housekeeping.intervalSeconds` | `WLCOMM_HOUSEKEEPING_INTERVAL_SECONDS` | int | `60` |
/// | `retention.messagesDays` | `WLCOMM_RETENTION_MESSAGES_DAYS` | int, 0 = keep for good | `365` |
/// | `retention.webhookDeliveriesDays` | `WLCOMM_RETENTION_WEBHOOK_DELIVERIES_DAYS` | int, 0 = keep for good | `30` |
/// | `retention.messageBodiesDays` | `WLCOMM_RETENTION_MESSAGE_BODIES_DAYS` | int, 0 = keep for good | `90`: then a final message's body and subject are emptied (see docs/privacy.md) |
/// | `retention.eventsDays` | `WLCOMM_RETENTION_EVENTS_DAYS` | int, 0 = keep for good | `365` (with their messages) |
/// | `retention.expireProcessingHours` | `WLCOMM_RETENTION_EXPIRE_PROCESSING_HOURS` | int, 0 = never | `72` |
/// | `retention.auditDays` | `WLCOMM_RETENTION_AUDIT_DAYS` | int, 0 = keep for good | `730` |
/// | `console.bcryptCost` | `WLCOMM_CONSOLE_BCRYPT_COST` | int, 4–16; at least 10 beside live providers (start-up refuses less) | `12` |
/// | `console.idleMinutes` | `WLCOMM_CONSOLE_IDLE_MINUTES` | int | `30` |
/// | `console.sessionHours` | `WLCOMM_CONSOLE_SESSION_HOURS` | int | `12` |
/// | `console.insecureCookies` | `WLCOMM_CONSOLE_INSECURE_COOKIES` | bool | `false` |
/// | `console.publicURL` | `WLCOMM_CONSOLE_PUBLIC_URL` | `http://` or `https://` URL | none: invitation links use the request's `Host` |
/// | `dispatch.batchSize` | `WLCOMM_DISPATCH_BATCH_SIZE` | int: SMS claimed per round at first and at least; email per round | `200` |
/// | `dispatch.maxBatchSize` | `WLCOMM_DISPATCH_MAX_BATCH_SIZE` | int: the most SMS claimed per round | `2000` |
/// | `dispatch.batchTargetMilliseconds` | `WLCOMM_DISPATCH_BATCH_TARGET_MILLISECONDS` | int: how long an SMS batch should take; the claim grows while batches take less | `1000` |
/// | `dispatch.pollMilliseconds` | `WLCOMM_DISPATCH_POLL_MILLISECONDS` | int | `500` |
/// | `dispatch.leaseSeconds` | `WLCOMM_DISPATCH_LEASE_SECONDS` | int | `60` |
/// | `dispatch.providerConcurrency` | `WLCOMM_DISPATCH_PROVIDER_CONCURRENCY` | int (at least 1): SMS provider calls in flight per batch | `8` |
/// | `dispatch.parallelBatches` | `WLCOMM_DISPATCH_PARALLEL_BATCHES` | int (at least 1): SMS and email batches in flight at once per dispatcher | `4` |
/// | `dispatch.maxAttempts` | `WLCOMM_DISPATCH_MAX_ATTEMPTS` | int | `6` |
/// | `dispatch.baseBackoffSeconds` | `WLCOMM_DISPATCH_BASE_BACKOFF_SECONDS` | int | `5` |
/// | `sms.promotionalWindow` | `WLCOMM_SMS_PROMOTIONAL_WINDOW` | `HH:MM-HH:MM` (may cross midnight) | `07:00-19:00`: promotional SMS go out only then (see docs/kenya.md) |
/// | `sms.promotionalTimezone` | `WLCOMM_SMS_PROMOTIONAL_TIMEZONE` | IANA name | `Africa/Nairobi`: the zone the window is read in |
/// | `sms.optOutFooter` | `WLCOMM_SMS_OPT_OUT_FOOTER` | string | ` STOP *456*9*5#`: appended to every promotional SMS |
/// | `webhooks.allowPrivate` | `WLCOMM_WEBHOOKS_ALLOW_PRIVATE` | bool | `false` (SSRF guard on) |
/// | `webhooks.leaseSeconds` | `WLCOMM_WEBHOOKS_LEASE_SECONDS` | int (at least 1) | `60`: a crashed deliverer's deliveries are taken back after this; a busy one renews it every third |
/// | `webhooks.concurrency` | `WLCOMM_WEBHOOKS_CONCURRENCY` | int (at least 1) | `8`: POSTs in flight at once to one firm's endpoint, at first |
/// | `webhooks.maxConcurrency` | `WLCOMM_WEBHOOKS_MAX_CONCURRENCY` | int (at least `webhooks.concurrency`) | `32`: the most they grow to while the endpoint answers 2xx (one more per full window of successes, halved at each failure) |
/// | `webhooks.yieldToDispatchMilliseconds` | `WLCOMM_WEBHOOKS_YIELD_TO_DISPATCH_MILLISECONDS` | int, 0 = never | `1000`: while the SMS dispatcher works through a backlog at full speed, each new webhook claim waits up to this for it to end (see docs/engine.md) |
/// | `africastalking.*` | `WLCOMM_AFRICASTALKING_*` | see ``AfricasTalkingSettings`` | off |
/// | `daraja.*` | `WLCOMM_DARAJA_*` | see ``DarajaSettings`` | off |
/// | `payments.reconcileAfterSeconds` | `WLCOMM_PAYMENTS_RECONCILE_AFTER_SECONDS` | int | `60` |
/// | `payments.maxPendingPerPhone` | `WLCOMM_PAYMENTS_MAX_PENDING_PER_PHONE` | int (at least 1) | `2` |
/// | `payments.maxPerPhonePerHour` | `WLCOMM_PAYMENTS_MAX_PER_PHONE_PER_HOUR` | int (at least 1) | `5` |
/// | `smtp.*` | `WLCOMM_SMTP_*` | see ``SMTPSettings``; `smtp.defaultFrom` an address | off |
/// | `auth.cacheMilliseconds` | `WLCOMM_AUTH_CACHE_MILLISECONDS` | int, 0 = read the key on every request | `1000`: an API key that authenticated is trusted this long without a store read, so a key revoked or a firm suspended elsewhere is refused within it |
/// | `optOuts.cacheMilliseconds` | `WLCOMM_OPT_OUTS_CACHE_MILLISECONDS` | int, 0 = read the list on every request | `1000`: a firm's opt-out list (up to 256 numbers) is used this long without a store read, so a number listed elsewhere is skipped at accept within it (and fails "Opted out", free, if sent to meanwhile) |
/// | `limits.enabled` | `WLCOMM_LIMITS_ENABLED` | bool | `true` |
/// | `limits.sendQuota`, `limits.sendWindowSeconds` | `WLCOMM_LIMITS_SEND_QUOTA`, `…_SEND_WINDOW_SECONDS` | int | 100 per 5 s |
/// | `limits.readQuota`, `limits.readWindowSeconds` | `WLCOMM_LIMITS_READ_QUOTA`, `…_READ_WINDOW_SECONDS` | int | 600 per 10 s |
/// | `limits.authQuota`, `limits.authWindowSeconds` | `WLCOMM_LIMITS_AUTH_QUOTA`, `…_AUTH_WINDOW_SECONDS` | int | 20 per 60 s |
/// | `limits.signInQuota`, `limits.signInWindowSeconds` | `WLCOMM_LIMITS_SIGN_IN_QUOTA`, `…_SIGN_IN_WINDOW_SECONDS` | int | 10 per 60 s: password checks (sign-ins, successful or not, password changes, passwords set from invitations) per client address |
/// | `limits.trackingQuota`, `limits.trackingWindowSeconds` | `WLCOMM_LIMITS_TRACKING_QUOTA`, `…_TRACKING_WINDOW_SECONDS` | int | 120 per 60 s |
/// | `limits.consoleQuota`, `limits.consoleWindowSeconds` | `WLCOMM_LIMITS_CONSOLE_QUOTA`, `…_CONSOLE_WINDOW_SECONDS` | int | 600 per 60 s: management API and console page requests per signed-in user (per client address before sign-in) |
/// | `limits.webhookTestQuota`, `limits.webhookTestWindowSeconds` | `WLCOMM_LIMITS_WEBHOOK_TEST_QUOTA`, `…_WEBHOOK_TEST_WINDOW_SECONDS` | int | 10 per 60 s: test webhooks per firm (public API, management API and console together) |
/// | `limits.bodyReadTimeoutSeconds` | `WLCOMM_LIMITS_BODY_READ_TIMEOUT_SECONDS` | int | `30` |
/// | `limits.idleTimeoutSeconds` | `WLCOMM_LIMITS_IDLE_TIMEOUT_SECONDS` | int | `60` |
/// | `limits.maxConnections` | `WLCOMM_LIMITS_MAX_CONNECTIONS` | int, 0 = no cap | `2048` |
/// | `limits.maxConnectionsPerAddress` | `WLCOMM_LIMITS_MAX_CONNECTIONS_PER_ADDRESS` | int, 0 = no cap | `256` |
/// | `trustedProxies` | `WLCOMM_TRUSTED_PROXIES` | comma-separated addresses or CIDR blocks | none: `X-Forwarded-For` is ignored; behind a reverse proxy, list it so limits and logs see the real client (see ``TrustedProxies``) |
/// | `metrics.token` | `WLCOMM_METRICS_TOKEN` | string, secret | none: `/metrics` answers loopback clients only |
/// | `tracking.baseURL` | `WLCOMM_TRACKING_BASE_URL` | string | `http://{host}:{port}` |
/// | `tracking.secret` | `WLCOMM_TRACKING_SECRET` | string, secret | generated once, kept in the database |
/// | `secrets.key` | `WLCOMM_SECRETS_KEY` | base64 of 32 bytes, secret | SQLite: `<database file>.key`, created once; PostgreSQL: required |
/// | `secrets.previousKeys` | `WLCOMM_SECRETS_PREVIOUS_KEYS` | comma-separated base64 keys, secret | none (open only, for rotation) |
public struct AppSettings: Sendable {
    public var host: String
    public var port: Int
    public var store: StoreLocation
    /// How long a request may wait for the database before it answers 503.
    public var databaseUnavailableAfter: Duration
    /// PostgreSQL connections this instance may hold.
    public var databaseMaxConnections: Int
    /// How many statement texts run prepared on PostgreSQL (0: none).
    public var databasePreparedStatements: Int
    /// How long start-up waits for an unreachable database before it gives up.
    public var databaseStartupWait: Duration
    public var seedSandbox: Bool
    /// Lets `seed.sandbox` run beside live providers (the sandbox key is public).
    public var allowSandboxInProduction: Bool
    public var logLevel: Logger.Level
    /// How `wlcomm serve` writes its log lines.
    public var logFormat: LogFormat
    /// The `log.format` value when it names no format (``checkLogFormat()`` refuses it).
    var unknownLogFormat: String?
    /// What this process runs: the API, the workers, or both.
    public var role: ServerRole
    /// The `role` value when it names no role (``checkRole()`` refuses it).
    var unknownRole: String?
    /// How long SIGTERM waits for work in flight before cancelling it.
    public var shutdownGrace: Duration
    /// Retention periods and the housekeeping pace.
    public var housekeeping: HousekeepingSettings
    public var dispatcher: DispatcherSettings
    /// Live SMS through Africa's Talking; `nil` when not configured (live messages are then refused and refunded).
    public var africasTalking: AfricasTalkingSettings?
    /// Live M-Pesa purchases through Daraja; `nil` when not configured (live purchases are then refused).
    public var daraja: DarajaSettings?
    /// How long after an STK push a pending payment is first queried.
    public var reconcileAfter: Double
    /// How many M-Pesa prompts a firm may send to one phone (pending at once, and per rolling hour).
    public var purchaseLimits: PurchaseLimits
    /// Live email through an SMTP relay; `nil` when not configured (live emails then fail).
    public var smtp: SMTPSettings?
    /// The From address of firms that set none.
    public var smtpDefaultFrom: EmailAddress?
    /// The public base URL of tracking links.
    public var trackingBaseURL: String
    /// The tracking secret, when configured.
    public var trackingSecret: String?
    /// The keys that encrypt webhook secrets and the tracking key in the database.
    public var secrets: SecretKeySettings
    /// The reverse proxies whose `X-Forwarded-For` is believed, as configured (checked by ``checkTrustedProxies()``).
    public var trustedProxyEntries: [String]
    /// How long an API key's authentication is reused without reading the store.
    public var authenticationCacheLifetime: Double
    /// How long a firm's short opt-out list is used without a store read (`optOuts.cacheMilliseconds`).
    public var optOutCacheLifetime: Double
    /// The default rate limits (firms may have their own).
    public var limits: LimitSettings
    /// How long a client may take to send a request body (408 after it).
    public var bodyReadTimeout: Duration
    /// Seconds a connection may stay open without a whole request part from the client (then it is closed).
    public var idleTimeoutSeconds: Int
    /// Open connections at once, in all and from one client address (0: no cap).
    public var maxConnections: Int
    public var maxConnectionsPerAddress: Int
    /// The bearer token `GET /metrics` asks for; `nil`: loopback clients only.
    public var metricsToken: String?
    /// Turns the webhook SSRF guard off (development and tests only).
    public var webhooksAllowPrivate: Bool
    /// How long a webhook deliverer's claim holds (renewed while its deliveries are in flight).
    public var webhookLease: Double
    /// POSTs in flight at once to one firm's endpoint at first (`webhooks.concurrency`).
    public var webhookConcurrency: Int
    /// The most POSTs in flight to one firm's endpoint, reached while it answers 2xx (`webhooks.maxConcurrency`).
    public var webhookMaxConcurrency: Int
    /// How long a new webhook claim waits for the SMS dispatcher's backlog to end (`webhooks.yieldToDispatchMilliseconds`);
    /// `nil`: the default (``webhookYield``).
    public var webhookYieldMilliseconds: Int?
    /// The secret in the delivery-report URL; `nil`: no report endpoint.
    public var africasTalkingCallbackToken: String?
    /// `sms.promotionalWindow`, `sms.promotionalTimezone` and `sms.optOutFooter` as configured (checked by
    /// ``promotionalPolicy()``).
    public var promotionalWindowText: String
    public var promotionalTimezone: String
    public var optOutFooter: String
    /// The console's sessions and password hashing (`console.*`).
    public var console: ConsoleSettings
    /// Leave out `Secure` on the console's cookies (plain HTTP on a host other than localhost; development only).
    public var consoleInsecureCookies: Bool
    /// Where invitation links point (`console.publicURL`, without a trailing slash); nil: the request's `Host`.
    public var consolePublicURL: String?
    /// A `console.publicURL` that is not an `http://` or `https://` URL with a host and no query or fragment, refused at
    /// start-up.
    var badConsolePublicURL: String?

    /// The live providers configured, by name (empty: every firm can only use the sandbox ones).
    public var liveProviders: [String] {
        (africasTalking == nil ? [] : ["Africa's Talking"]) + (daraja == nil ? [] : ["Daraja"]) + (smtp == nil ? [] : ["SMTP"])
    }

    /// Refuses to seed the public sandbox key beside live providers, unless allowed.
    /// - Throws: ``StartupError`` naming the providers and the way to allow it.
    public func checkSandboxSeeding() throws {
        guard seedSandbox && !liveProviders.isEmpty && !allowSandboxInProduction else { return }
        throw StartupError(
            "--seed-sandbox refused: live providers are configured (\(liveProviders.joined(separator: ", "))), and the sandbox key is "
                + "published in the API documentation, so anyone could use this server. Remove --seed-sandbox, or pass "
                + "--allow-sandbox-in-production (WLCOMM_SEED_ALLOW_SANDBOX_IN_PRODUCTION=true) if you mean it.")
    }

    /// The lowest `console.bcryptCost` accepted beside live providers; lower costs are for tests and development.
    public static let productionBcryptCost = 10

    /// Refuses a console bcrypt cost below ``productionBcryptCost`` beside live providers: a copy of the database
    /// would make the console's passwords cheap to guess.
    /// - Throws: ``StartupError`` naming the setting, its value and the providers.
    public func checkBcryptCost() throws {
        guard !liveProviders.isEmpty, console.bcryptCost < Self.productionBcryptCost else { return }
        throw StartupError(
            "console.bcryptCost (WLCOMM_CONSOLE_BCRYPT_COST) \(console.bcryptCost) is below \(Self.productionBcryptCost) while live providers "
                + "are configured (\(liveProviders.joined(separator: ", "))): a copy of the database would make console passwords cheap to "
                + "guess. Use \(Self.productionBcryptCost) or more (the default is 12).")
    }

    /// Refuses a `role` that is not `all`, `api` or `worker`.
    /// - Throws: ``StartupError`` naming the value and the setting.
    /// The trusted proxies; a start-up error names an entry that is no address or block.
    public func trustedProxies() throws -> TrustedProxies {
        do {
            return try TrustedProxies(trustedProxyEntries)
        } catch let error as TrustedProxiesError {
            throw StartupError("\(error) (trustedProxies, WLCOMM_TRUSTED_PROXIES)")
        }
    }

    /// The rules of promotional SMS these settings give.
    /// - Throws: ``StartupError`` for an unreadable window or an unknown timezone.
    public func promotionalPolicy() throws -> PromotionalPolicy {
        guard let window = try? SendingWindow(parsing: promotionalWindowText) else {
            throw StartupError(
                "Unreadable promotional window \"\(promotionalWindowText)\" (sms.promotionalWindow, WLCOMM_SMS_PROMOTIONAL_WINDOW): use HH:MM-HH:MM.")
        }
        guard let zone = TimeZone(identifier: promotionalTimezone) else {
            throw StartupError("Unknown timezone \"\(promotionalTimezone)\" (sms.promotionalTimezone, WLCOMM_SMS_PROMOTIONAL_TIMEZONE).")
        }
        return PromotionalPolicy(window: window, timezone: zone, footer: optOutFooter)
    }

    /// How long a new webhook claim waits for the SMS dispatcher's backlog to end, `nil` for not at all: as set, else
    /// one second. The deliverer's work runs on the same cores as the dispatcher's; making way for it took dispatch
    /// from 9,626 to 12,193 msg/s on average on PostgreSQL (five alternating pairs), and on SQLite from 24,188 to
    /// 26,143 and from 26,344 to 27,122 (two runs of six pairs; docs/engine.md).
    public var webhookYield: Duration? {
        let milliseconds = webhookYieldMilliseconds ?? 1_000
        return milliseconds > 0 ? .milliseconds(milliseconds) : nil
    }

    public func checkLogFormat() throws {
        guard let unknownLogFormat else { return }
        throw StartupError("Unknown log format \"\(unknownLogFormat)\" (log.format, WLCOMM_LOG_FORMAT or --log-format): use text or json.")
    }

    public func checkRole() throws {
        guard let unknownRole else { return }
        throw StartupError("Unknown role \"\(unknownRole)\" (role, WLCOMM_ROLE or --role): use all, api or worker.")
    }

    public func checkConsolePublicURL() throws {
        guard let badConsolePublicURL else { return }
        throw StartupError(
            "console.publicURL (WLCOMM_CONSOLE_PUBLIC_URL) \"\(badConsolePublicURL)\" is not an http:// or https:// URL with a host (and no query or fragment)."
        )
    }

    /// Reads the settings from `reader` (see the table above for keys and defaults).
    public init(reader: ConfigReader) {
        self.host = reader.string(forKey: "host", default: "127.0.0.1")
        self.port = reader.int(forKey: "port", default: 8080)
        // The URL may carry a password.
        self.store = StoreLocation(databaseURL: reader.string(forKey: "database.url", isSecret: true))
        self.databaseUnavailableAfter = .milliseconds(max(100, reader.int(forKey: "database.unavailableAfterMilliseconds", default: 1500)))
        self.databaseMaxConnections = max(1, reader.int(forKey: "database.maxConnections", default: 20))
        self.databasePreparedStatements = max(0, reader.int(forKey: "database.preparedStatements", default: 512))
        self.databaseStartupWait = .seconds(max(0, reader.int(forKey: "database.startupWaitSeconds", default: 30)))
        self.seedSandbox = reader.bool(forKey: "seed.sandbox", default: false)
        self.allowSandboxInProduction = reader.bool(forKey: "seed.allowSandboxInProduction", default: false)
        self.logLevel = reader.string(forKey: "log.level").flatMap(Logger.Level.init(rawValue:)) ?? .info
        let format = reader.string(forKey: "log.format", default: LogFormat.text.rawValue)
        self.logFormat = LogFormat(rawValue: format) ?? .text
        self.unknownLogFormat = LogFormat(rawValue: format) == nil ? format : nil
        let role = reader.string(forKey: "role", default: ServerRole.all.rawValue)
        self.role = ServerRole(rawValue: role) ?? .all
        self.unknownRole = ServerRole(rawValue: role) == nil ? role : nil
        self.shutdownGrace = .seconds(max(1, reader.int(forKey: "shutdown.graceSeconds", default: 25)))
        var housekeeping = HousekeepingSettings()
        housekeeping.interval = .seconds(max(1, reader.int(forKey: "housekeeping.intervalSeconds", default: 60)))
        func period(_ key: ConfigKey, _ fallback: Int, unit: Double) -> Double? {
            let value = reader.int(forKey: key, default: fallback)
            return value > 0 ? Double(value) * unit : nil
        }
        housekeeping.messageRetention = period("retention.messagesDays", 365, unit: 86_400)
        housekeeping.webhookDeliveryRetention = period("retention.webhookDeliveriesDays", 30, unit: 86_400)
        housekeeping.eventRetention = period("retention.eventsDays", 365, unit: 86_400)
        housekeeping.messageBodyRetention = period("retention.messageBodiesDays", 90, unit: 86_400)
        housekeeping.expireProcessingAfter = period("retention.expireProcessingHours", 72, unit: 3_600)
        housekeeping.auditRetention = period("retention.auditDays", 730, unit: 86_400)
        self.housekeeping = housekeeping
        var dispatcher = DispatcherSettings()
        dispatcher.batchSize = max(1, reader.int(forKey: "dispatch.batchSize", default: dispatcher.batchSize))
        dispatcher.maxBatchSize = max(dispatcher.batchSize, reader.int(forKey: "dispatch.maxBatchSize", default: dispatcher.maxBatchSize))
        dispatcher.batchTarget = .milliseconds(max(1, reader.int(forKey: "dispatch.batchTargetMilliseconds", default: 1_000)))
        dispatcher.pollInterval = .milliseconds(reader.int(forKey: "dispatch.pollMilliseconds", default: 500))
        dispatcher.lease = Double(reader.int(forKey: "dispatch.leaseSeconds", default: Int(dispatcher.lease)))
        dispatcher.providerConcurrency = max(1, reader.int(forKey: "dispatch.providerConcurrency", default: dispatcher.providerConcurrency))
        dispatcher.parallelBatches = max(1, reader.int(forKey: "dispatch.parallelBatches", default: dispatcher.parallelBatches))
        dispatcher.maxAttempts = reader.int(forKey: "dispatch.maxAttempts", default: dispatcher.maxAttempts)
        dispatcher.baseBackoff = Double(reader.int(forKey: "dispatch.baseBackoffSeconds", default: Int(dispatcher.baseBackoff)))
        self.dispatcher = dispatcher
        self.africasTalking = AfricasTalkingSettings(reader: reader)
        self.daraja = DarajaSettings(reader: reader)
        self.reconcileAfter = Double(max(1, reader.int(forKey: "payments.reconcileAfterSeconds", default: 60)))
        self.purchaseLimits = PurchaseLimits(
            maxPending: reader.int(forKey: "payments.maxPendingPerPhone", default: 2),
            maxPerHour: reader.int(forKey: "payments.maxPerPhonePerHour", default: 5))
        self.smtp = SMTPSettings(reader: reader)
        self.smtpDefaultFrom = reader.string(forKey: "smtp.defaultFrom").flatMap(EmailAddress.init)
        self.trackingBaseURL = reader.nonEmptyString(forKey: "tracking.baseURL") ?? "http://\(host):\(port)"
        self.trackingSecret = reader.nonEmptyString(forKey: "tracking.secret", isSecret: true)
        self.secrets = SecretKeySettings(
            key: reader.string(forKey: "secrets.key", isSecret: true), previousKeys: reader.string(forKey: "secrets.previousKeys", isSecret: true))
        var limits = LimitSettings()
        limits.enabled = reader.bool(forKey: "limits.enabled", default: true)
        func policy(_ key: String, _ fallback: RateLimitPolicy) -> RateLimitPolicy {
            let quota = reader.int(forKey: ConfigKey("limits.\(key)Quota"), default: fallback.quota)
            let window = reader.int(forKey: ConfigKey("limits.\(key)WindowSeconds"), default: fallback.window)
            return quota > 0 && window > 0 ? RateLimitPolicy(name: fallback.name, quota: quota, window: window) : fallback
        }
        limits.sends = policy("send", limits.sends)
        limits.reads = policy("read", limits.reads)
        limits.failedAuthentication = policy("auth", limits.failedAuthentication)
        limits.signIns = policy("signIn", limits.signIns)
        limits.tracking = policy("tracking", limits.tracking)
        limits.console = policy("console", limits.console)
        limits.webhookTest = policy("webhookTest", limits.webhookTest)
        self.limits = limits
        self.trustedProxyEntries = reader.string(forKey: "trustedProxies", default: "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.authenticationCacheLifetime = Double(max(0, reader.int(forKey: "auth.cacheMilliseconds", default: 1000))) / 1000
        self.optOutCacheLifetime = Double(max(0, reader.int(forKey: "optOuts.cacheMilliseconds", default: 1000))) / 1000
        self.bodyReadTimeout = .seconds(max(1, reader.int(forKey: "limits.bodyReadTimeoutSeconds", default: 30)))
        self.idleTimeoutSeconds = max(1, reader.int(forKey: "limits.idleTimeoutSeconds", default: 60))
        self.maxConnections = max(0, reader.int(forKey: "limits.maxConnections", default: 2048))
        self.maxConnectionsPerAddress = max(0, reader.int(forKey: "limits.maxConnectionsPerAddress", default: 256))
        self.metricsToken = reader.nonEmptyString(forKey: "metrics.token", isSecret: true)
        self.webhooksAllowPrivate = reader.bool(forKey: "webhooks.allowPrivate", default: false)
        self.webhookLease = Double(max(1, reader.int(forKey: "webhooks.leaseSeconds", default: 60)))
        self.webhookConcurrency = max(1, reader.int(forKey: "webhooks.concurrency", default: 8))
        self.webhookMaxConcurrency = max(webhookConcurrency, reader.int(forKey: "webhooks.maxConcurrency", default: 32))
        self.webhookYieldMilliseconds = reader.int(forKey: "webhooks.yieldToDispatchMilliseconds").map { max(0, $0) }
        self.africasTalkingCallbackToken = reader.nonEmptyString(forKey: "africastalking.callbackToken", isSecret: true)
        self.promotionalWindowText = reader.string(forKey: "sms.promotionalWindow", default: SendingWindow.standard.description)
        self.promotionalTimezone = reader.string(forKey: "sms.promotionalTimezone", default: "Africa/Nairobi")
        self.optOutFooter = reader.string(forKey: "sms.optOutFooter", default: PromotionalPolicy.standardFooter)
        self.console = ConsoleSettings(
            bcryptCost: min(16, max(4, reader.int(forKey: "console.bcryptCost", default: 12))),
            idleTimeout: Double(max(1, reader.int(forKey: "console.idleMinutes", default: 30))) * 60,
            lifetime: Double(max(1, reader.int(forKey: "console.sessionHours", default: 12))) * 3_600)
        self.consoleInsecureCookies = reader.bool(forKey: "console.insecureCookies", default: false)
        if let url = reader.nonEmptyString(forKey: "console.publicURL") {
            let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            let parsed = URLComponents(string: trimmed)
            let scheme = parsed?.scheme?.lowercased()
            if scheme == "https" || scheme == "http", parsed?.host?.isEmpty == false, parsed?.query == nil, parsed?.fragment == nil {
                self.consolePublicURL = trimmed
            } else {
                self.badConsolePublicURL = url
            }
        }
        self.housekeeping.sessionIdleTimeout = console.idleTimeout
    }
}
