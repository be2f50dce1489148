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
import WLServices
import WLStore

/// A clock the test sets by hand.
final class ManualTime: TimeSource {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// One app on its own SQLite file, built by the same composition root that ships.
struct TestApp {
    let databasePath: String
    let time: ManualTime

    init(time: ManualTime = ManualTime()) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-app-\(UUID().uuidString)")
        self.databasePath = folder.appendingPathComponent("wlcomm.sqlite").path
        self.time = time
    }

    /// Runs `body` against the store the app will use (before or during a test).
    func admin<T: Sendable>(_ body: @Sendable (FirmAdmin, SQLStore) async throws -> T) async throws -> T {
        try await StoreSession.with(.sqlite(path: databasePath), logger: Logger(label: "test")) { store in
            try await body(FirmAdmin(store: store, time: time), store)
        }
    }

    /// Builds the app (seeding the sandbox firm) and runs `test` with a router-level client.
    func test(metrics: PrometheusCollectorRegistry? = nil, _ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let reader = ConfigReader(
            provider: InMemoryProvider(values: [
                "database.url": .init(.string(databasePath), isSecret: true), "seed.sandbox": true, "log.level": "warning",
            ]))
        let app = try await WLCommApp.buildApplication(reader: reader, time: time, metrics: metrics)
        try await app.test(.router, test)
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: databasePath).deletingLastPathComponent().path)
    }
}

/// The base path of the API.
let base = "/api/v1/communication"
/// The contract's sandbox key.
let sandboxKey = "wl_test_communication_sms_sandbox"

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
