import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain

@Suite struct WebhookEndpointTests {
    @Test func theDeliveryLogShowsEveryAttemptAndRedeliverySendsAgain() async throws {
        let receiver = LocalReceiver()
        try await receiver.run { url in
            let app = TestApp(webhooksAllowPrivate: true)
            try await app.test { client in
                try await app.admin { admin, _ in try await admin.setWebhook(firm: "sandbox", url: url, secret: "s3") }
                let (_, sent) = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"]])
                let messageID = try #require((sent.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
                try await receiver.waitFor(2)
                var log: [[String: Any]] = []
                for _ in 0..<500 {
                    log =
                        try await client.api(.get, "/webhooks/deliveries?status=succeeded&message_id=\(messageID)").json.data["deliveries"]
                        as? [[String: Any]] ?? []
                    if log.count == 2 { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(log.map { $0["event"] as? String } == ["communication.sms.delivered", "communication.sms.processing"])
                let attempts = try #require(log.first?["attempts"] as? [[String: Any]])
                #expect(attempts.count == 1)
                #expect(log.first?["attempt_count"] as? Int == 1)
                #expect(attempts.first?["status_code"] as? Int == 200)
                #expect(attempts.first?["latency_ms"] is Int)
                let deliveryID = try #require(log.first?["id"] as? Int)
                let redelivered = try await client.api(.post, "/webhooks/deliveries/\(deliveryID)/redeliver")
                #expect(redelivered.status == .ok)
                #expect(redelivered.json.data["status"] as? String == "pending")
                try await receiver.waitFor(3)
                let again = receiver.received.withLock { $0.last }
                #expect(again?.json["event"] as? String == "communication.sms.delivered")
                #expect(again?.headers["x-wl-attempt"] == "2")
                let missing = try await client.api(.post, "/webhooks/deliveries/999999/redeliver")
                #expect(missing.status == .notFound && missing.json["code"] as? String == "not_found")
                let lost = try await client.api(.get, "/webhooks/deliveries?status=lost")
                #expect(lost.status == .unprocessableContent && lost.json["code"] as? String == "validation_failed")
                #expect(lost.json.errors["status"] == ["One of pending, succeeded, failed."])
            }
        }
    }

    @Test func aTestEventIsSignedAndReported() async throws {
        let receiver = LocalReceiver()
        try await receiver.run { url in
            let app = TestApp(webhooksAllowPrivate: true)
            try await app.test { client in
                let none = try await client.api(.post, "/webhooks/test")
                #expect(none.status == .conflict && none.json["code"] as? String == "conflict")
                try await app.admin { admin, _ in try await admin.setWebhook(firm: "sandbox", url: url, secret: "s3") }
                let (status, json) = try await client.api(.post, "/webhooks/test")
                #expect(status == .ok)
                #expect(json.data["succeeded"] as? Bool == true)
                #expect(json.data["status_code"] as? Int == 200)
                let received = try #require(receiver.received.withLock { $0.first })
                #expect(received.json["event"] as? String == "communication.test")
                #expect(received.headers["x-wl-signature"] == WebhookSignature.contract(body: received.body, secret: "s3"))
                receiver.status.withLock { $0 = 503 }
                let failing = try await client.api(.post, "/webhooks/test")
                #expect(failing.json.data["succeeded"] as? Bool == false)
                #expect(failing.json.data["status_code"] as? Int == 503)
            }
        }
    }

    @Test func aRedirectIsAFailureAndIsNotFollowed() async throws {
        let receiver = LocalReceiver()
        receiver.status.withLock { $0 = 302 }
        try await receiver.run { url in
            let app = TestApp(webhooksAllowPrivate: true)
            try await app.test { client in
                try await app.admin { admin, _ in try await admin.setWebhook(firm: "sandbox", url: url, secret: nil) }
                let result = try await client.api(.post, "/webhooks/test")
                #expect(result.json.data["succeeded"] as? Bool == false)
                #expect(result.json.data["status_code"] as? Int == 302)
                #expect(receiver.received.withLock { $0.count } == 1)
                #expect(receiver.followed.withLock { $0 } == 0)
            }
        }
    }
}
