import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// M-Pesa prompt bombing: one firm may keep only a few prompts waiting on a phone, and start only a few an hour.
@Suite struct PurchaseLimitTests {
    /// A purchase's status, `Retry-After`, and error code and message (when refused).
    struct Answer {
        var status: HTTPResponse.Status
        var retryAfter: String?
        var code: String?
        var message: String?
    }

    /// Starts a sandbox purchase of 500 KES from `phone`.
    func purchase(_ client: any TestClientProtocol, _ phone: String, idempotencyKey: String? = nil) async throws -> Answer {
        var headers: HTTPFields = [.init("X-API-Key")!: sandboxKey, .contentType: "application/json"]
        if let idempotencyKey { headers[.init("Idempotency-Key")!] = idempotencyKey }
        return try await client.execute(
            uri: base + "/sms-credits/purchase", method: .post, headers: headers,
            body: ByteBuffer(string: #"{"phone": "\#(phone)", "amount": 500}"#)
        ) { response in
            Answer(status: response.status, retryAfter: response.headers[.retryAfter], code: response.errorCode, message: response.field("message"))
        }
    }

    @Test(arguments: TestEngine.available)
    func theThirdPendingPromptToOnePhoneIs429UntilReconciliationWhileAnotherPhoneIsServed(engine: TestEngine) async throws {
        // 254700000005's callback is lost: its payments stay Pending until reconciliation (the clock does not move here).
        try await TestApp(engine: engine).test { client in
            #expect(try await purchase(client, "0700000005").status == .accepted)
            #expect(try await purchase(client, "254700000005").status == .accepted)
            let third = try await purchase(client, "+254700000005")
            #expect(third.status == .tooManyRequests)
            #expect(third.code == "rate_limited")
            #expect(third.retryAfter == "60")
            #expect(third.message == "At most 2 M-Pesa prompts may wait on 254700000005 at once; try again when one is answered.")
            #expect(try await purchase(client, "0712345678").status == .accepted)
            // The refused purchase recorded nothing: the next one is payment 3.
            #expect(try await client.api(.get, "/sms-credits/purchase/3").json.data["phone"] as? String == "254712345678")
            #expect(try await client.api(.get, "/sms-credits/purchase/4").status == .notFound)
        }
    }

    @Test func theHourlyCapRetriesWhenTheOldestPromptLeavesTheHour() async throws {
        // A whole second, so the stored creation times (milliseconds) are exact.
        let app = TestApp(time: ManualTime(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))))
            .with(["payments.maxPendingPerPhone": 10, "payments.maxPerPhonePerHour": 3])
        let start = app.time.now
        try await app.test { client in
            for second in [0.0, 10, 20] {
                app.time.set(start.addingTimeInterval(second))
                #expect(try await purchase(client, "0712345678").status == .accepted)
            }
            app.time.set(start.addingTimeInterval(30))
            let refused = try await purchase(client, "0712345678")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.code == "rate_limited")
            #expect(refused.retryAfter == "3570")
            #expect(refused.message == "At most 3 M-Pesa prompts may be sent to 254712345678 in an hour; try again in 3570 s.")
            app.time.set(start.addingTimeInterval(3_600))
            #expect(try await purchase(client, "0712345678").status == .accepted)
            let full = try await purchase(client, "0712345678")
            #expect(full.status == .tooManyRequests && full.code == "rate_limited")
        }
    }

    @Test func aRefusalUnderAnIdempotencyKeyIsNotReplayedOnceTheLimitPasses() async throws {
        let app = TestApp(time: ManualTime(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))))
            .with(["payments.maxPendingPerPhone": 10, "payments.maxPerPhonePerHour": 1])
        let start = app.time.now
        try await app.test { client in
            let first = try await purchase(client, "0712345678")
            #expect(first.status == .accepted)
            let refused = try await purchase(client, "0712345678", idempotencyKey: "retry-me")
            #expect(refused.status == .tooManyRequests && refused.code == "rate_limited")
            app.time.set(start.addingTimeInterval(3_601))
            #expect(try await purchase(client, "0712345678", idempotencyKey: "retry-me").status == .accepted)
        }
    }

    /// The firm's own API key may erase a phone; that must not start the phone's count again.
    @Test func erasingThePhoneDoesNotResetItsPromptLimits() async throws {
        try await TestApp().test { client in
            #expect(try await purchase(client, "0700000005").status == .accepted)
            #expect(try await purchase(client, "0700000005").status == .accepted)
            #expect(try await purchase(client, "0700000005").status == .tooManyRequests)
            let erased = try await client.api(.post, "/privacy/erasure", json: ["phone": "0700000005"])
            #expect(erased.status == .ok)
            let after = try await purchase(client, "0700000005")
            #expect(after.status == .tooManyRequests && after.code == "rate_limited")
        }
    }
}
