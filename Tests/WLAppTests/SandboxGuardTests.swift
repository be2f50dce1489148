import Configuration
import Foundation
import Testing
import WLApp
import WLPorts

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
}
