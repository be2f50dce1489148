import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// The keyring of every conformance store (``TestDatabases`` passes it), so every check runs with sealed secrets.
let conformanceSecrets = keyring(SecretBox.generateKey())

/// A ring with `key` as the current key and `previous` for reading.
func keyring(_ key: String, previous: [String] = []) -> SecretBox {
    do {
        return try SecretBox(key: key, previousKeys: previous)
    } catch {
        preconditionFailure("a generated key was refused: \(error)")
    }
}

/// The raw text of `column` of firm `firmID`, as the database holds it.
private func rawFirmColumn(_ store: SQLStore, _ column: String, firmID: Int64) async throws -> String? {
    try await store.database.read { try await $0.query("SELECT \(column) FROM firms WHERE id = $1", [.int(firmID)]) }.first?.optionalText(column)
}

/// The raw text of a service secret.
private func rawServiceSecret(_ store: SQLStore, _ name: String) async throws -> String? {
    try await store.database.read { try await $0.query("SELECT value FROM service_secrets WHERE name = $1", [.text(name)]) }.first?.text("value")
}

/// A firm with a webhook whose secret was `first` and is now `second`, and one cancelled message queued for delivery.
private func firmWithRotatedWebhook(_ store: SQLStore, first: String, second: String) async throws -> Firm {
    let firm = try await firmWithCredits(store, credits: 5)
    try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: first), now: checkTime)
    try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: second), now: checkTime)
    let message = try #require(try await smsBlast(store, firm: firm, count: 1).first)
    _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime)
    return firm
}

extension ConformanceCheck {
    static let secrets: [ConformanceCheck] = [
        ConformanceCheck("webhook secrets and the tracking key are stored sealed and read back as they were given") { store in
            let sealed = SQLStore(database: store.database, secrets: keyring(SecretBox.generateKey()))
            let firm = try await firmWithRotatedWebhook(sealed, first: "receiver-secret-1", second: "receiver-secret-2")
            let keyID = try #require(sealed.secrets?.currentKeyID)
            for column in ["webhook_secret", "webhook_previous_secret"] {
                let raw = try #require(try await rawFirmColumn(sealed, column, firmID: firm.id))
                #expect(raw.hasPrefix("enc:v1:\(keyID):"))
                #expect(!raw.contains("receiver-secret"))
            }
            #expect(try await sealed.webhook(firmID: firm.id)?.secret == "receiver-secret-2")
            let delivery = try #require(try await sealed.claimWebhookDeliveries(limit: 1, owner: "d", lease: 60, now: checkTime).first)
            #expect(delivery.secret == "receiver-secret-2")
            #expect(delivery.previousSecret == "receiver-secret-1")
            #expect(try await sealed.serviceSecret("tracking", candidate: "tracking-key-1", now: checkTime) == "tracking-key-1")
            #expect(try await sealed.serviceSecret("tracking", candidate: "tracking-key-2", now: checkTime) == "tracking-key-1")
            let raw = try #require(try await rawServiceSecret(sealed, "tracking"))
            #expect(raw.hasPrefix("enc:v1:\(keyID):"))
            #expect(!raw.contains("tracking-key"))
        },
        ConformanceCheck("plaintext secrets from before encryption read as they are and are sealed once by the start-up pass") { store in
            let legacy = SQLStore(database: store.database)
            let firm = try await firmWithRotatedWebhook(legacy, first: "old-secret", second: "new-secret")
            _ = try await legacy.serviceSecret("tracking", candidate: "tracking-key", now: checkTime)
            #expect(try await rawFirmColumn(legacy, "webhook_secret", firmID: firm.id) == "new-secret")
            let sealed = SQLStore(database: store.database, secrets: keyring(SecretBox.generateKey()))
            #expect(try await sealed.webhook(firmID: firm.id)?.secret == "new-secret")
            #expect(try await sealed.resealSecrets(.plaintext) == ResealSummary(checked: 3, resealed: 3))
            #expect(try await sealed.resealSecrets(.plaintext) == ResealSummary(checked: 3, resealed: 0))
            #expect(try await rawFirmColumn(sealed, "webhook_secret", firmID: firm.id).map(SecretBox.isSealed) == true)
            #expect(try await rawFirmColumn(sealed, "webhook_previous_secret", firmID: firm.id).map(SecretBox.isSealed) == true)
            #expect(try await rawServiceSecret(sealed, "tracking").map(SecretBox.isSealed) == true)
            let delivery = try #require(try await sealed.claimWebhookDeliveries(limit: 1, owner: "d", lease: 60, now: checkTime).first)
            #expect([delivery.secret, delivery.previousSecret] == ["new-secret", "old-secret"])
            #expect(try await sealed.serviceSecret("tracking", candidate: "other", now: checkTime) == "tracking-key")
        },
        ConformanceCheck("rotation re-seals every secret with the new key, after which the old key can be dropped") { store in
            let oldKey = SecretBox.generateKey()
            let newKey = SecretBox.generateKey()
            let before = SQLStore(database: store.database, secrets: keyring(oldKey))
            let firm = try await firmWithRotatedWebhook(before, first: "old-secret", second: "new-secret")
            _ = try await before.serviceSecret("tracking", candidate: "tracking-key", now: checkTime)
            let withoutOldKey = SQLStore(database: store.database, secrets: keyring(newKey))
            let refused = await #expect(throws: StoredSecretError.self) { try await withoutOldKey.resealSecrets(.notCurrentKey) }
            #expect(refused?.reason == .unknownKey(keyring(oldKey).currentKeyID))
            #expect(refused?.location == "firms.webhook_secret of firm \(firm.id)")

            let during = SQLStore(database: store.database, secrets: keyring(newKey, previous: [oldKey]))
            #expect(try await during.resealSecrets(.plaintext) == ResealSummary(checked: 3, resealed: 0))
            #expect(try await during.resealSecrets(.notCurrentKey) == ResealSummary(checked: 3, resealed: 3))
            #expect(try await during.resealSecrets(.notCurrentKey) == ResealSummary(checked: 3, resealed: 0))
            let newID = keyring(newKey).currentKeyID
            #expect(try await rawFirmColumn(during, "webhook_previous_secret", firmID: firm.id)?.hasPrefix("enc:v1:\(newID):") == true)
            #expect(try await rawServiceSecret(during, "tracking")?.hasPrefix("enc:v1:\(newID):") == true)

            #expect(try await withoutOldKey.webhook(firmID: firm.id)?.secret == "new-secret")
            #expect(try await withoutOldKey.serviceSecret("tracking", candidate: "other", now: checkTime) == "tracking-key")
            let delivery = try #require(try await withoutOldKey.claimWebhookDeliveries(limit: 1, owner: "d", lease: 60, now: checkTime).first)
            #expect([delivery.secret, delivery.previousSecret] == ["new-secret", "old-secret"])
        },
        ConformanceCheck("a tampered stored secret is refused with where it is, never read as another value") { store in
            let sealed = SQLStore(database: store.database, secrets: keyring(SecretBox.generateKey()))
            let firm = try await firmWithCredits(sealed, credits: 0)
            try await sealed.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "receiver-secret"), now: checkTime)
            let raw = try #require(try await rawFirmColumn(sealed, "webhook_secret", firmID: firm.id))
            // Another valid base64 payload under the same key id: the tag no longer matches.
            let tampered = String(raw.dropLast(4)) + (raw.hasSuffix("AAA=") ? "BBB=" : "AAA=")
            _ = try await sealed.database.transaction {
                try await $0.query("UPDATE firms SET webhook_secret = $2 WHERE id = $1", [.int(firm.id), .text(tampered)])
            }
            let error = await #expect(throws: StoredSecretError.self) { try await sealed.webhook(firmID: firm.id) }
            #expect(error?.reason == .authenticationFailed(try #require(sealed.secrets?.currentKeyID)))
            #expect(error?.location == "firms.webhook_secret of firm \(firm.id)")
        },
    ]
}
