import Configuration
import Foundation
import Testing
import WLApp
import WLDomain
import WLPorts
import WLServices

@testable import WLStore

/// The service seals webhook secrets and the tracking key in its database, with the configured key or, on SQLite,
/// a key file it creates; on PostgreSQL it will not start without a key.
@Suite struct SecretsAtRestTests {
    /// The raw stored text of a firm's webhook secret and of the tracking key.
    private func rawSecrets(_ app: TestApp, firm: String) async throws -> (webhook: String?, tracking: String?) {
        try await app.admin { admin, store in
            let id = try await admin.firm(firm).id
            return try await store.database.read { connection in
                (
                    try await connection.query("SELECT webhook_secret FROM firms WHERE id = $1", [.int(id)]).first?.optionalText("webhook_secret"),
                    try await connection.query("SELECT value FROM service_secrets WHERE name = 'tracking'").first?.text("value")
                )
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func plaintextSecretsFromBeforeEncryptionAreSealedAtStartAndStillSign(engine: TestEngine) async throws {
        let app = try await TestApp(engine: engine)
        try await app.admin { admin, store in
            _ = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 180), mode: .live))
            try await admin.setWebhook(firm: "acme", url: "https://hooks.example/acme", secret: "placeholder")
            _ = try await store.database.transaction {
                try await $0.query("UPDATE firms SET webhook_secret = 'legacy-secret' WHERE slug = 'acme'", [])
            }
        }
        try #require(try await rawSecrets(app, firm: "acme").webhook == "legacy-secret")
        try await app.test { _ in
            let raw = try await rawSecrets(app, firm: "acme")
            let keyID = try #require(SecretBox.keyID(ofBase64: testSecretsKey))
            #expect(raw.webhook?.hasPrefix("enc:v1:\(keyID):") == true)
            #expect(raw.tracking?.hasPrefix("enc:v1:\(keyID):") == true)
            #expect(try await app.admin { admin, store in try await store.webhook(firmID: admin.firm("acme").id)?.secret } == "legacy-secret")
        }
    }

    @Test func withoutAKeyAnSQLiteAppCreatesAnOwnerOnlyKeyFileAndSealsWithIt() async throws {
        let app = TestApp().with(["secrets.key": .init(.string(""), isSecret: true)])
        try await app.test { _ in
            let keyFile = app.databaseURL + ".key"
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let keyID = try #require(SecretBox.keyID(ofBase64: key))
            #expect(try await rawSecrets(app, firm: "sandbox").tracking?.hasPrefix("enc:v1:\(keyID):") == true)
        }
    }

    @Test func postgreSQLWithoutAKeyRefusesToStartAndNamesTheSetting() async throws {
        let reader = ConfigReader(
            provider: InMemoryProvider(values: ["database.url": .init(.string("postgres://wl:pw@127.0.0.1:1/wl"), isSecret: true)]))
        let error = await #expect(throws: SecretKeyConfigurationError.self) { _ = try await WLCommApp.buildApplication(reader: reader) }
        #expect(error?.message.contains("WLCOMM_SECRETS_KEY") == true)
    }
}
