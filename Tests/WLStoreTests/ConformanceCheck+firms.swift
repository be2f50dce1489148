import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// A fixed instant for checks (stores keep milliseconds).
let checkTime = Date(timeIntervalSince1970: 1_780_000_000)

/// A valid new firm with this slug.
func newFirm(_ slug: String, rate: Int64 = 180, mode: FirmMode = .live) throws -> NewFirm {
    try NewFirm(slug: slug, name: "Firm \(slug)", smsRate: KES(cents: rate), mode: mode)
}

extension ConformanceCheck {
    static let firms: [ConformanceCheck] = [
        ConformanceCheck("a new firm is active, has no credits and reads back the same") { store in
            let created = try await store.createFirm(try newFirm("acme", rate: 250, mode: .sandbox), now: checkTime)
            #expect(created.status == .active)
            #expect(created.smsCredits == .zero)
            #expect(created.smsRate == KES(cents: 250))
            #expect(created.mode == .sandbox)
            #expect(created.timezone == "Africa/Nairobi")
            #expect(created.createdAt == checkTime)
            #expect(try await store.firm(id: created.id) == created)
            #expect(try await store.firm(slug: "acme") == created)
            #expect(try await store.firm(slug: "nobody") == nil)
        },
        ConformanceCheck("a taken slug is a duplicate") { store in
            _ = try await store.createFirm(try newFirm("acme"), now: checkTime)
            await #expect(throws: DomainError(.duplicate, "A firm with the slug acme already exists.")) {
                try await store.createFirm(try newFirm("acme"), now: checkTime)
            }
            #expect(try await store.firms().count == 1)
        },
        ConformanceCheck("updates change only what they name") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let expiry = checkTime.addingTimeInterval(86_400)
            let suspended = try await store.updateFirm(
                id: firm.id, FirmUpdate(status: .suspended, smsRate: KES(cents: 95), subscriptionExpiresAt: .some(expiry)))
            #expect(suspended.status == .suspended)
            #expect(suspended.smsRate == KES(cents: 95))
            #expect(suspended.subscriptionExpiresAt == expiry)
            #expect(suspended.name == firm.name)
            let cleared = try await store.updateFirm(id: firm.id, FirmUpdate(status: .active, subscriptionExpiresAt: .some(nil)))
            #expect(cleared.subscriptionExpiresAt == nil)
            #expect(cleared.smsRate == KES(cents: 95))
            #expect(try await store.updateFirm(id: firm.id, FirmUpdate()) == cleared)
            let error = await #expect(throws: DomainError.self) { try await store.updateFirm(id: 999_999, FirmUpdate(status: .active)) }
            #expect(error?.code == .notFound)
        },
        ConformanceCheck("webhook settings are per firm") { store in
            let a = try await store.createFirm(try newFirm("firm-a"), now: checkTime)
            let b = try await store.createFirm(try newFirm("firm-b"), now: checkTime)
            try await store.setWebhook(firmID: a.id, WebhookSettings(url: "https://a.example/hook", secret: "s3cret"), now: checkTime)
            #expect(try await store.webhook(firmID: a.id) == WebhookSettings(url: "https://a.example/hook", secret: "s3cret"))
            #expect(try await store.webhook(firmID: b.id) == nil)
            try await store.setWebhook(firmID: a.id, nil, now: checkTime)
            #expect(try await store.webhook(firmID: a.id) == nil)
        },
    ]
}
