import Configuration
import Foundation
import Logging
import Testing
import WLApp
import WLPorts
import WLServices

/// The public sandbox key never becomes a tenant of a server with live providers by accident.
@Suite struct SandboxGuardTests {
    func build(_ extra: [AbsoluteConfigKey: ConfigValue]) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-guard-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var values: [AbsoluteConfigKey: ConfigValue] = [
            "database.url": .init(.string(folder.appendingPathComponent("wlcomm.sqlite").path), isSecret: true), "seed.sandbox": true,
            "log.level": "error",
        ]
        values.merge(extra) { $1 }
        _ = try await WLCommApp.buildApplication(reader: ConfigReader(provider: InMemoryProvider(values: values)))
    }

    static let liveProviders: [(String, [AbsoluteConfigKey: ConfigValue])] = [
        ("Africa's Talking", ["africastalking.username": "firm", "africastalking.apiKey": .init(.string("k"), isSecret: true)]),
        ("SMTP", ["smtp.host": "relay.example"]),
    ]

    @Test(arguments: liveProviders.map(\.0))
    func seedingTheSandboxBesideALiveProviderIsRefused(provider: String) async throws {
        let settings = try #require(Self.liveProviders.first { $0.0 == provider }?.1)
        let error = await #expect(throws: StartupError.self) { try await build(settings) }
        #expect(error?.description.contains("--seed-sandbox refused: live providers are configured (\(provider))") == true)
        #expect(error?.description.contains("--allow-sandbox-in-production") == true)
    }

    @Test func theOperatorMayAllowItAndWithoutLiveProvidersOrSeedingNothingIsRefused() throws {
        let live = Self.liveProviders[0].1
        let cases: [[AbsoluteConfigKey: ConfigValue]] = [
            live.merging(["seed.sandbox": true, "seed.allowSandboxInProduction": true]) { $1 },
            ["seed.sandbox": true],
            live.merging(["seed.sandbox": false]) { $1 },
        ]
        for values in cases {
            let settings = AppSettings(reader: ConfigReader(provider: InMemoryProvider(values: values)))
            #expect(throws: Never.self) { try settings.checkSandboxSeeding() }
        }
    }

    /// A database seeded during development and then started beside a live provider, without seeding.
    @Test func sandboxCredentialsLeftInTheDatabaseStopAStartBesideALiveProviderUntilTheyAreGone() async throws {
        let app = TestApp()
        let accounts: @Sendable (any Store) -> ConsoleAccounts = { [time = app.time] store in
            ConsoleAccounts(store: store, time: time, settings: ConsoleSettings(bcryptCost: 4), logger: Logger(label: "test"))
        }
        try await app.admin { _, store in
            try await store.migrate()
            let firm = try await SandboxSeeder(store: store, time: app.time).seed()
            try await accounts(store).seedSandboxUser(firm: firm)
        }
        let live = app.with(Self.liveProviders[1].1.merging(["seed.sandbox": false]) { $1 })
        let error = await #expect(throws: StartupError.self) { try await live.test { _ in } }
        let refusal = error?.description ?? ""
        #expect(refusal.contains("live providers are configured (SMTP)"))
        #expect(refusal.contains("the API key wl_test_communication_sms_sandbox (revoke it: wlcomm key list --firm sandbox"))
        #expect(
            refusal.contains(
                "the console user sandbox@worldledgers.test with its published password (remove it: wlcomm user remove sandbox@worldledgers.test)"))
        #expect(refusal.contains("--allow-sandbox-in-production"))
        // With the key revoked and the user removed, it starts.
        try await app.admin { admin, store in
            let firm = try await admin.firm("sandbox")
            let key = try #require(try await store.apiKeys(firmID: firm.id).first { $0.hash == SandboxSeeder.sandboxKey.hash })
            _ = try await admin.revokeKey(firm: "sandbox", keyID: key.id)
            _ = try await accounts(store).removeUser(email: ConsoleAccounts.sandboxEmail)
        }
        try await live.test { client in
            let status = try await client.execute(uri: "/healthz", method: .get) { $0.status }
            #expect(status == .ok)
        }
    }

    @Test func aCheapBcryptCostIsRefusedBesideALiveProviderAndAllowedWithout() throws {
        let cheap: [AbsoluteConfigKey: ConfigValue] = ["console.bcryptCost": 4]
        let live = AppSettings(reader: ConfigReader(provider: InMemoryProvider(values: cheap.merging(Self.liveProviders[1].1) { $1 })))
        let error = #expect(throws: StartupError.self) { try live.checkBcryptCost() }
        let refusal = error?.description ?? ""
        #expect(refusal.hasPrefix("console.bcryptCost (WLCOMM_CONSOLE_BCRYPT_COST) 4 is below 10 while live providers are configured (SMTP)"))
        let development = AppSettings(reader: ConfigReader(provider: InMemoryProvider(values: cheap)))
        #expect(throws: Never.self) { try development.checkBcryptCost() }
        let sound = AppSettings(
            reader: ConfigReader(provider: InMemoryProvider(values: Self.liveProviders[1].1.merging(["console.bcryptCost": 10]) { $1 })))
        #expect(throws: Never.self) { try sound.checkBcryptCost() }
    }
}
