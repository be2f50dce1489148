import Configuration
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceLifecycle
import Testing
import WLApp
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

/// `role`: all, api or worker, built by the composition root that ships.
@Suite struct RoleTests {
    /// A SQLite file in a folder of its own, shared by the apps of one test.
    struct Database {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-role-\(UUID().uuidString)")
        var path: String { folder.appendingPathComponent("wlcomm.sqlite").path }
    }

    /// An app of `role` on `database`, with the sandbox firm.
    func app(
        _ role: String, on database: Database, settings: [AbsoluteConfigKey: ConfigValue] = [:], metrics: PrometheusCollectorRegistry? = nil
    ) async throws -> some ApplicationProtocol {
        var values: [AbsoluteConfigKey: ConfigValue] = [
            "database.url": .init(.string(database.path), isSecret: true), "seed.sandbox": true, "log.level": "warning",
            "dispatch.pollMilliseconds": 20, "limits.enabled": false, "secrets.key": .init(.string(testSecretsKey), isSecret: true),
            "role": .init(.string(role), isSecret: false),
        ]
        values.merge(settings) { $1 }
        return try await WLCommApp.buildApplication(reader: ConfigReader(provider: InMemoryProvider(values: values)), metrics: metrics)
    }

    /// Whether `services` holds a service of each worker type.
    func workers(_ services: [any Service]) -> [Bool] {
        [
            services.contains { $0 is SMSDispatcher }, services.contains { $0 is EmailDispatcher }, services.contains { $0 is WebhookDeliverer },
            services.contains { $0 is PaymentReconciler }, services.contains { $0 is Housekeeper },
        ]
    }

    @Test func aWorkerServesOnlyHealthReadinessAndMetrics() async throws {
        let database = Database()
        defer { try? FileManager.default.removeItem(at: database.folder) }
        let worker = try await app(
            "worker", on: database, settings: ["metrics.token": .init(.string("metrics-token-1"), isSecret: true)],
            metrics: PrometheusCollectorRegistry())
        #expect(workers(worker.services) == [true, true, true, true, true])
        try await worker.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-1"]) { #expect($0.status == .ok) }
            for (method, path) in [
                (HTTPRequest.Method.get, "\(base)/sms-credits/balance"), (.post, "\(base)/sms"), (.get, "\(base)/openapi.yaml"),
                (.post, "/callbacks/mpesa/stk/1/token"),
            ] {
                try await client.execute(uri: path, method: method, headers: [.init("X-API-Key")!: sandboxKey]) { response in
                    #expect(response.status == .notFound, "\(method) \(path)")
                    #expect(response.errorCode == "not_found", "\(method) \(path)")
                }
            }
        }
    }

    @Test func anAPIInstanceQueuesAnSMSWithoutSendingItAndAWorkerSendsIt() async throws {
        let database = Database()
        defer { try? FileManager.default.removeItem(at: database.folder) }
        let api = try await app("api", on: database)
        #expect(workers(api.services) == [false, false, false, false, false])
        let id = try await api.test(.router) { client in
            let sent = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"]])
            #expect(sent.status == .accepted)
            let id = try #require((sent.json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? NSNumber).int64Value
            let message = try await client.api(.get, "/sms/\(id)")
            #expect(message.json.data["status"] as? String == "pending")
            return id
        }
        // The api app and its services have stopped: had anything in it claimed the message, the lease would show.
        let secrets = SecretKeySettings(key: testSecretsKey)
        try await StoreSession.with(.sqlite(path: database.path), secrets: secrets, logger: Logger(label: "test")) { store in
            let firm = try #require(try await store.firm(slug: "sandbox"))
            let message = try #require(try await store.message(firmID: firm.id, id: id))
            #expect(message.status == .pending)
            #expect(message.stage == .queued)
            #expect(message.attempts == 0)
            let unleased = try await store.database.read { connection in
                try await connection.query("SELECT id FROM messages WHERE id = $1 AND lease_owner IS NULL AND lease_until IS NULL", [.int(id)])
            }
            #expect(unleased.count == 1)
        }
        let worker = try await app("worker", on: database)
        try await worker.test(.router) { _ in
            try await StoreSession.with(.sqlite(path: database.path), secrets: secrets, logger: Logger(label: "test")) { store in
                let firm = try #require(try await store.firm(slug: "sandbox"))
                var status = try await store.message(firmID: firm.id, id: id)?.status
                for _ in 0..<500 where status?.isFinal != true {
                    try await Task.sleep(for: .milliseconds(10))
                    status = try await store.message(firmID: firm.id, id: id)?.status
                }
                #expect(status == .delivered)
            }
        }
    }

    @Test func servicesStopAfterEverythingThatUsesThem() async throws {
        let database = Database()
        defer { try? FileManager.default.removeItem(at: database.folder) }
        let all = try await app("all", on: database, settings: ["seed.sandbox": false, "smtp.host": "127.0.0.1", "smtp.port": 2525])
        // ServiceGroup stops services in reverse order: a later index stops earlier.
        let order = all.services.map { "\(type(of: $0))" }
        func index(_ name: String) -> Int { order.firstIndex(of: name) ?? -1 }
        #expect(index("SQLiteDatabase") == 0)
        for user in ["SMSDispatcher", "EmailDispatcher", "WebhookDeliverer", "PaymentReconciler", "Housekeeper"] {
            #expect(index(user) > index("SMTPTransport"), "\(order)")
            #expect(index(user) > index("HTTPWebhookTransport"), "\(order)")
        }
        #expect(index("SMTPTransport") > 0)
        #expect(index("HTTPWebhookTransport") > 0)
        try await all.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func anUnknownRoleStopsStartUpNamingTheSetting() async throws {
        let database = Database()
        defer { try? FileManager.default.removeItem(at: database.folder) }
        await #expect {
            _ = try await app("both", on: database)
        } throws: { error in
            (error as? StartupError).map { "\($0)".contains("WLCOMM_ROLE") } ?? false
        }
    }
}
