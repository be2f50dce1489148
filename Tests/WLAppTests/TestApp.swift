import Configuration
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import Testing
import WLApp
import WLDomain
import WLPorts
import WLServices
import WLStore

/// A clock the test sets by hand.
final class ManualTime: TimeSource {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// The engines an app test can run on: SQLite always, PostgreSQL when `WLCOMM_TEST_POSTGRES_URL` is set.
enum TestEngine: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    static let postgresURL = ProcessInfo.processInfo.environment["WLCOMM_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// The engines this run can test: SQLite always, PostgreSQL when a URL is given.
    static var available: [TestEngine] { allCases.filter { $0 == .sqlite || postgresURL != nil } }
}

/// One app on its own database (a new SQLite file, or a new PostgreSQL database), built by the same composition
/// root that ships.
struct TestApp {
    let location: StoreLocation
    let time: ManualTime
    let folder: URL
    /// Turns the webhook SSRF guard off, for receivers on loopback.
    var webhooksAllowPrivate = false
    /// Configuration added to (or replacing) the defaults, e.g. rate limits; limits are off unless a test turns them on.
    var settings: [AbsoluteConfigKey: ConfigValue] = [:]

    init(time: ManualTime = ManualTime(), webhooksAllowPrivate: Bool = false) {
        self.webhooksAllowPrivate = webhooksAllowPrivate
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-app-\(UUID().uuidString)")
        location = .sqlite(path: folder.appendingPathComponent("wlcomm.sqlite").path)
        self.time = time
    }

    /// An app on `engine`; for PostgreSQL a fresh database is created in the test cluster.
    init(engine: TestEngine, time: ManualTime = ManualTime()) async throws {
        self.init(time: time)
        guard engine == .postgres, let url = TestEngine.postgresURL else { return }
        let name = "app_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PostgresDatabase(url: url, maximumConnections: 1, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await admin.run() }
            _ = try await admin.read { try await $0.query("CREATE DATABASE \(name)", []) }
            group.cancelAll()
        }
        let base = url[..<(url.lastIndex(of: "/") ?? url.endIndex)]
        self = TestApp(location: .postgres(url: "\(base)/\(name)"), time: time, folder: folder)
    }

    private init(location: StoreLocation, time: ManualTime, folder: URL) {
        self.location = location
        self.time = time
        self.folder = folder
    }

    /// The same app with `settings` added to its configuration.
    func with(_ settings: [AbsoluteConfigKey: ConfigValue]) -> TestApp {
        var app = self
        app.settings.merge(settings) { $1 }
        return app
    }

    /// Runs `body` against the store the app will use (before or during a test).
    func admin<T: Sendable>(_ body: @Sendable (FirmAdmin, SQLStore) async throws -> T) async throws -> T {
        try await StoreSession.with(location, secrets: SecretKeySettings(key: testSecretsKey), logger: Logger(label: "test")) { store in
            try await body(FirmAdmin(store: store, time: time, allowPrivateWebhooks: true), store)
        }
    }

    var databaseURL: String {
        switch location {
        case .sqlite(let path): path
        case .postgres(let url): url
        }
    }

    /// Builds the app (seeding the sandbox firm) and runs `test` with a router-level client (or, `.live`, a real
    /// server on a loopback port).
    func test(
        _ testing: TestingSetup = .router, metrics: PrometheusCollectorRegistry? = nil, logger: Logger? = nil,
        _ test: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        var values: [AbsoluteConfigKey: ConfigValue] = [
            "database.url": .init(.string(databaseURL), isSecret: true), "seed.sandbox": true, "log.level": "warning",
            "dispatch.pollMilliseconds": 20, "webhooks.allowPrivate": .init(.bool(webhooksAllowPrivate), isSecret: false), "limits.enabled": false,
            "auth.cacheMilliseconds": 0, "secrets.key": .init(.string(testSecretsKey), isSecret: true),
        ]
        values.merge(settings) { $1 }
        let reader = ConfigReader(provider: InMemoryProvider(values: values))
        let app = try await WLCommApp.buildApplication(reader: reader, time: time, logger: logger, metrics: metrics)
        try await app.test(testing, test)
        try? FileManager.default.removeItem(at: folder)
    }
}

/// The base path of the API.
let base = "/api/v1/communication"
/// The contract's sandbox key.
let sandboxKey = "wl_test_communication_sms_sandbox"
/// The key that seals stored secrets in every test app (PostgreSQL needs one; SQLite would use a key file).
let testSecretsKey = "d2xjb21tLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM="

extension TestResponse {
    /// The body parsed as a JSON object.
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    /// The error envelope's code, when the body is the error envelope.
    var errorCode: String? {
        guard let object = try? json(), object["status"] as? String == "error", object["message"] is String else { return nil }
        return object["code"] as? String
    }

    /// A top-level string field of a JSON body.
    func field(_ name: String) -> String? { (try? json())?[name] as? String }
}
