import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    static let webhooks: [ConformanceCheck] = [
        ConformanceCheck("events of a firm with a webhook are queued for delivery, one message's in sequence order") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let other = try await firmWithCredits(store, "other", credits: 5)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "s"), now: checkTime)
            for owner in [firm, other] {
                let message = try #require(try await smsBlast(store, firm: owner, count: 1).first)
                _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime)
                _ = try await store.record(.charge, messageID: message.id, leaseOwner: "w", now: checkTime)
                _ = try await store.record(
                    .submitted(providerMessageID: "P\(message.id)", report: DeliveryReport(status: .delivered, response: "Success", network: nil)),
                    messageID: message.id, leaseOwner: "w", now: checkTime)
            }
            let first = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            #expect(first.map(\.subject.eventName) == ["communication.sms.processing"])
            #expect(first.first?.firmID == firm.id)
            #expect(first.first?.secret == "s")
            #expect(try await store.claimWebhookDeliveries(limit: 10, owner: "d2", lease: 60, now: checkTime).isEmpty)
            let delivery = try #require(first.first)
            try await store.recordWebhookAttempt(
                deliveryID: delivery.id, leaseOwner: "d", statusCode: 200, error: nil, latencyMilliseconds: 12, outcome: .succeeded, now: checkTime)
            let second = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            #expect(second.map(\.subject.eventName) == ["communication.sms.delivered"])
            #expect(second.map(\.subject.sequence) == [2])
        },
        ConformanceCheck("a retry waits for its time and 410 disables the endpoint until it is set again") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: nil), now: checkTime)
            let messages = try await smsBlast(store, firm: firm, count: 2)
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[0].id, now: checkTime)
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[1].id, now: checkTime)
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            #expect(claimed.count == 2)
            try await store.recordWebhookAttempt(
                deliveryID: claimed[0].id, leaseOwner: "d", statusCode: 500, error: "HTTP 500", latencyMilliseconds: 3,
                outcome: .retry(at: checkTime.addingTimeInterval(5)), now: checkTime)
            #expect(try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime.addingTimeInterval(4)).isEmpty)
            #expect(
                try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime.addingTimeInterval(10)).map(\.id) == [
                    claimed[0].id
                ])
            try await store.recordWebhookAttempt(
                deliveryID: claimed[1].id, leaseOwner: "d", statusCode: 410, error: "HTTP 410", latencyMilliseconds: 3,
                outcome: .disableEndpoint(reason: "Gone"), now: checkTime)
            #expect(try await store.webhook(firmID: firm.id)?.disabledReason == "Gone")
            let error = await #expect(throws: DomainError.self) {
                try await store.recordWebhookAttempt(
                    deliveryID: claimed[1].id, leaseOwner: "d", statusCode: 200, error: nil, latencyMilliseconds: 1, outcome: .succeeded,
                    now: checkTime)
            }
            #expect(error?.code == .conflict)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://b.example/hook", secret: nil), now: checkTime)
            #expect(try await store.webhook(firmID: firm.id)?.disabledAt == nil)
        },
        ConformanceCheck("setting only the URL keeps the secret and the previous one's grace, and re-enables the endpoint") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "old"), now: checkTime)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "new"), now: checkTime)
            let messages = try await smsBlast(store, firm: firm, count: 2)
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[0].id, now: checkTime)
            let gone = try #require(try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime).first)
            try await store.recordWebhookAttempt(
                deliveryID: gone.id, leaseOwner: "d", statusCode: 410, error: "HTTP 410", latencyMilliseconds: 3,
                outcome: .disableEndpoint(reason: "Gone"), now: checkTime)
            #expect(try await store.webhook(firmID: firm.id)?.disabledAt != nil)
            try await store.setWebhookURL(firmID: firm.id, url: "https://b.example/hook")
            let settings = try #require(try await store.webhook(firmID: firm.id))
            #expect(settings.url == "https://b.example/hook" && settings.secret == "new" && settings.disabledAt == nil)
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[1].id, now: checkTime)
            let claimed = try #require(try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime).first)
            #expect(claimed.url == "https://b.example/hook" && claimed.secret == "new" && claimed.previousSecret == "old")
            let error = await #expect(throws: DomainError.self) { try await store.setWebhookURL(firmID: 9_999, url: "https://c.example/hook") }
            #expect(error?.code == .notFound)
        },
        ConformanceCheck("rotating the secret keeps the URL and the old secret for 24 hours, and needs a URL") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            #expect(try await store.rotateWebhookSecret(firmID: firm.id, to: "first", now: checkTime) == nil)
            #expect(try await store.webhook(firmID: firm.id) == nil, "no URL: nothing changed")
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: nil), now: checkTime)
            #expect(try await store.rotateWebhookSecret(firmID: firm.id, to: "first", now: checkTime) == "https://a.example/hook")
            #expect(try await store.rotateWebhookSecret(firmID: firm.id, to: "second", now: checkTime) == "https://a.example/hook")
            let settings = try #require(try await store.webhook(firmID: firm.id))
            #expect(settings.url == "https://a.example/hook" && settings.secret == "second")
            let messages = try await smsBlast(store, firm: firm, count: 2)
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[0].id, now: checkTime)
            let soon = try #require(try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime).first)
            #expect(soon.secret == "second" && soon.previousSecret == "first")
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[1].id, now: checkTime)
            let later = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime.addingTimeInterval(86_401))
            #expect(!later.isEmpty && later.allSatisfy { $0.secret == "second" && $0.previousSecret == nil })
            let error = await #expect(throws: DomainError.self) { try await store.rotateWebhookSecret(firmID: 9_999, to: "x", now: checkTime) }
            #expect(error?.code == .notFound)
        },
        ConformanceCheck("a new secret keeps the old one valid for 24 hours") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "old"), now: checkTime)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "new"), now: checkTime)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: "new"), now: checkTime)
            let messages = try await smsBlast(store, firm: firm, count: 2)
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[0].id, now: checkTime)
            let soon = try #require(try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime).first)
            #expect(soon.secret == "new")
            #expect(soon.previousSecret == "old")
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[1].id, now: checkTime)
            let later = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime.addingTimeInterval(86_401))
            #expect(later.count == 2)  // the first one's lease ran out too
            #expect(later.allSatisfy { $0.previousSecret == nil })
        },
        ConformanceCheck("an endpoint failing every day for five days is disabled; a success in between resets the clock") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: nil), now: checkTime)
            let messages = try await smsBlast(store, firm: firm, count: 4)
            for message in messages { _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime) }
            func attempt(_ days: Double, _ outcome: WebhookAttemptOutcome) async throws {
                let now = checkTime.addingTimeInterval(days * 86_400)
                let claimed = try await store.claimWebhookDeliveries(limit: 1, owner: "d", lease: 60, now: now)
                guard let delivery = claimed.first else { throw StoreError.corrupt("no delivery to attempt") }
                try await store.recordWebhookAttempt(
                    deliveryID: delivery.id, leaseOwner: "d", statusCode: 500, error: "HTTP 500", latencyMilliseconds: 1, outcome: outcome, now: now)
            }
            try await attempt(0, .failed)
            try await attempt(4, .succeeded)
            // Failures a day apart: the endpoint keeps its mark (and the time of its last failure) between them.
            for day in [4.5, 5.5, 6.5, 7.5, 8.5] {
                try await attempt(day, .retry(at: checkTime.addingTimeInterval(day * 86_400)))
            }
            #expect(try await store.webhook(firmID: firm.id)?.disabledAt == nil)
            try await attempt(9.5, .failed)
            #expect(try await store.webhook(firmID: firm.id)?.disabledReason == "Failing for 5 days")
        },
    ]
}
