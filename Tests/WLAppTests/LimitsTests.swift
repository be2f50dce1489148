import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

@Suite struct RateLimitEndpointTests {
    /// Sends: 100 per 5 s (20 a second, bursts of 100).
    let limited: [AbsoluteConfigKey: ConfigValue] = [
        "limits.enabled": true, "limits.sendQuota": 100, "limits.sendWindowSeconds": 5, "limits.authQuota": 5, "limits.authWindowSeconds": 60,
    ]

    @Test(arguments: TestEngine.available)
    func aThousandRequestsAtTwiceTheRateAreCutToTheLimitAndEvery429SaysWhen(engine: TestEngine) async throws {
        let app = try await TestApp(engine: engine).with(limited)
        try await app.test { client in
            var accepted = 0
            let start = app.time.now
            for index in 0..<1_000 {
                // 40 requests a second, twice the sustained limit.
                app.time.set(start.addingTimeInterval(Double(index) * 0.025))
                try await client.execute(
                    uri: base + "/sms/quote", method: .post, headers: [.init("X-API-Key")!: sandboxKey, .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"message": "Hi", "recipients": ["254712345678"]}"#)
                ) { response in
                    #expect(response.headers[.init("RateLimit-Policy")!] == #""sends";q=100;w=5"#)
                    #expect(response.headers[.init("RateLimit")!]?.hasPrefix(#""sends";r="#) == true)
                    if response.status == .ok {
                        accepted += 1
                    } else {
                        #expect(response.status == .tooManyRequests)
                        #expect(response.errorCode == "rate_limited")
                        #expect(response.headers[.retryAfter].flatMap(Int.init).map { (1...5).contains($0) } == true)
                    }
                }
            }
            // 25 s at 20 a second plus the burst of 100: 600 (one emission interval of slack either way).
            #expect((599...601).contains(accepted), "accepted \(accepted)")
            // Reads have their own budget.
            #expect(try await client.api(.get, "/sms-credits/balance").status == .ok)
        }
    }

    @Test func errorAnswersCarryTheRateLimitFieldsToo() async throws {
        try await TestApp().with(limited).test { client in
            for (method, uri, body, status, code) in [
                (HTTPRequest.Method.get, base + "/sms/999999", nil, HTTPResponse.Status.notFound, "not_found"),
                (.post, base + "/sms/quote", #"{"message": ""}"#, .unprocessableContent, "validation_failed"),
                (.get, base + "/sms?limit=0", nil, .unprocessableContent, "validation_failed"),
            ] {
                try await client.execute(
                    uri: uri, method: method, headers: [.init("X-API-Key")!: sandboxKey, .contentType: "application/json"],
                    body: body.map { ByteBuffer(string: $0) }
                ) { response in
                    #expect(response.status == status, "\(uri)")
                    #expect(response.errorCode == code, "\(uri)")
                    #expect(response.headers[.init("RateLimit-Policy")!]?.isEmpty == false, "\(uri)")
                    #expect(response.headers[.init("RateLimit")!]?.isEmpty == false, "\(uri)")
                }
            }
        }
    }

    @Test func aFirmsOwnLimitReplacesTheDefault() async throws {
        let app = TestApp().with(limited)
        try await app.admin { admin, store in
            _ = try await SandboxSeeder(store: store, time: app.time).seed()
            _ = try await admin.update("sandbox", FirmUpdate(sendLimit: RateLimitPolicy(name: "sends", quota: 2, window: 60)))
        }
        try await app.test { client in
            let body: [String: Any] = ["message": "Hi", "recipients": ["254712345678"]]
            #expect(try await client.api(.post, "/sms/quote", json: body).status == .ok)
            #expect(try await client.api(.post, "/sms/quote", json: body).status == .ok)
            try await client.execute(
                uri: base + "/sms/quote", method: .post, headers: [.init("X-API-Key")!: sandboxKey, .contentType: "application/json"],
                body: ByteBuffer(string: #"{"message": "Hi", "recipients": ["254712345678"]}"#)
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.errorCode == "rate_limited")
                #expect(response.headers[.init("RateLimit-Policy")!] == #""sends";q=2;w=60"#)
                #expect(response.headers[.retryAfter] == "30")
            }
            // A PUT or a DELETE writes: it counts as a send too; a GET is a read.
            let put = try await client.api(.put, "/contacts", json: ["contacts": [["phone": "254712345678"]]])
            #expect(put.status == .tooManyRequests && put.json["code"] as? String == "rate_limited")
            let delete = try await client.api(.delete, "/sms/opt-outs/254712345678")
            #expect(delete.status == .tooManyRequests && delete.json["code"] as? String == "rate_limited")
            #expect(try await client.api(.get, "/sms/opt-outs").status == .ok)
        }
    }

    @Test func failedAuthenticationFromOneAddressIsLimitedBeforeAnyKeyIsLookedAt() async throws {
        let app = TestApp().with(limited)
        try await app.test { client in
            for attempt in 1...5 {
                #expect(try await client.api(.get, "/sms-credits/balance", key: "wl_comm_guess\(attempt)").status == .unauthorized)
            }
            let refused = try await client.api(.get, "/sms-credits/balance", key: "wl_comm_guess6")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json["code"] as? String == "rate_limited")
            #expect((refused.json["message"] as? String)?.hasPrefix("Too many failed authentications from this address (5 per 60 s)") == true)
            #expect(try await client.api(.get, "/sms-credits/balance").status == .tooManyRequests)
            app.time.set(app.time.now.addingTimeInterval(13))
            #expect(try await client.api(.get, "/sms-credits/balance").status == .ok)
        }
    }
}

/// The `console` limit per signed-in user (management API and console pages together) and the `webhook-test` limit per
/// firm (public API, management API and console together).
@Suite struct ConsoleRateLimitTests {
    /// Five requests per minute per user (one every 12 s), two test webhooks per minute per firm (one every 30 s).
    static let limited: [AbsoluteConfigKey: ConfigValue] = [
        "limits.enabled": true, "limits.consoleQuota": 5, "limits.consoleWindowSeconds": 60, "limits.webhookTestQuota": 2,
        "limits.webhookTestWindowSeconds": 60,
    ]
    static let policy = HTTPField.Name("RateLimit-Policy")!

    /// A management API call with a bearer token: its status, error code and header fields.
    private func manage(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, token: String
    ) async throws
        -> (status: HTTPResponse.Status, code: String?, headers: HTTPFields)
    {
        try await client.execute(uri: ConsoleAPITests.manage + path, method: method, headers: [.authorization: "Bearer \(token)"]) { response in
            (response.status, response.errorCode, response.headers)
        }
    }

    @Test func aSignedInUserOverTheQuotaGets429WithRetryAfterOnTheAPIAndThePagesWhileAnotherUserIsUnaffected() async throws {
        let app = try await ConsoleAPITests.app().with(Self.limited)
        try await app.test { client in
            // Three sign-in requests and one sign-in page, all counted against the client address's own quota of 5.
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let admin = try await client.signIn(ConsoleAPITests.adminEmail, ConsoleAPITests.adminPassword)
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            for index in 1...4 {
                let allowed = try await manage(client, .get, "/firm/api-keys", token: owner)
                #expect(allowed.status == .ok, "request \(index)")
                #expect(allowed.headers[Self.policy] == #""console";q=5;w=60"#)
            }
            // The pages count against the same user's quota: this is the fifth request.
            #expect(try await client.pageStatus("/console/integration", cookie: cookie) == .ok)
            let refused = try await manage(client, .get, "/firm/api-keys", token: owner)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.code == "rate_limited")
            #expect(refused.headers[.retryAfter] == "12")
            #expect(refused.headers[Self.policy] == #""console";q=5;w=60"#)
            let page = try await client.execute(uri: "/console/integration", method: .get, headers: [.cookie: cookie]) { $0 }
            #expect(page.status == .tooManyRequests)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.headers[.retryAfter] == "12")

            #expect(try await manage(client, .get, "/me", token: admin).status == .ok)
            #expect(try await manage(client, .get, "/admin/firms", token: admin).status == .ok)

            app.time.set(app.time.now.addingTimeInterval(12))
            #expect(try await manage(client, .get, "/me", token: owner).status == .ok)
            #expect(try await manage(client, .get, "/me", token: owner).status == .tooManyRequests)
        }
    }

    @Test func testWebhooksAreLimitedPerFirmWhicheverWayTheyAreAskedFor() async throws {
        let app = try await ConsoleAPITests.app().with(Self.limited)
        try await app.test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            // The sandbox firm has no webhook, so a test let through answers 409 without a request going out.
            #expect(try await client.api(.post, "/webhooks/test").status == .conflict)
            #expect(try await manage(client, .post, "/firm/webhook/test", token: owner).status == .conflict)
            let refused = try await manage(client, .post, "/firm/webhook/test", token: owner)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.code == "rate_limited")
            #expect(refused.headers[.retryAfter] == "30")
            let viaKey = try await client.api(.post, "/webhooks/test")
            #expect(viaKey.status == .tooManyRequests)
            #expect(viaKey.json["code"] as? String == "rate_limited")
        }
    }

    @Test func withLimitsOffNeitherIsCounted() async throws {
        var settings = Self.limited
        settings["limits.enabled"] = false
        let app = try await ConsoleAPITests.app().with(settings)
        try await app.test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            for _ in 0..<10 {
                let answer = try await manage(client, .get, "/me", token: owner)
                #expect(answer.status == .ok)
                #expect(answer.headers[Self.policy] == nil)
                #expect(try await client.pageStatus("/console/integration", cookie: cookie) == .ok)
                #expect(try await manage(client, .post, "/firm/webhook/test", token: owner).status == .conflict)
            }
        }
    }
}

@Suite struct IdempotencyTests {
    @Test(arguments: TestEngine.available)
    func fiftyConcurrentRetriesWithOneKeyMakeOneBlastAndOneAnswer(engine: TestEngine) async throws {
        let app = try await TestApp(engine: engine)
        try await app.test { client in
            let headers: HTTPFields = [.init("X-API-Key")!: sandboxKey, .contentType: "application/json", .init("Idempotency-Key")!: "send-42"]
            let body = #"{"message": "Hello once", "recipients": ["254712345678"], "reference": "idem"}"#
            let all = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await client.execute(uri: base + "/sms", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                            (response.status, String(buffer: response.body))
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let accepted = all.filter { $0.0 == .accepted }
            #expect(!accepted.isEmpty)
            #expect(Set(accepted.map(\.1)).count == 1)
            #expect(all.allSatisfy { $0.0 == .accepted || $0.0 == .conflict })
            let first = try #require(accepted.first?.1)
            try await client.execute(uri: base + "/sms", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body) == first)
                #expect(response.headers[.init("Idempotent-Replayed")!] == "true")
            }
            let page = try await client.api(.get, "/sms?reference=idem").json.data
            let messages = try #require(page["messages"] as? [[String: Any]])
            #expect(messages.count == 1)
            // Once the sandbox has sent it, the ledger holds exactly one debit for it.
            let id = try #require(messages.first?["message_id"] as? Int)
            func debits(_ ledger: [String: Any]) -> [[String: Any]] {
                (ledger["transactions"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "debit" }
            }
            let ledger = try await client.poll("/sms-credits/transactions?limit=100") { !debits($0).isEmpty }
            let debits = debits(ledger)
            #expect(debits.count == 1)
            #expect(debits.first?["message_id"] as? Int == id)
            let other = #"{"message": "Hello twice", "recipients": ["254712345678"], "reference": "idem"}"#
            try await client.execute(uri: base + "/sms", method: .post, headers: headers, body: ByteBuffer(string: other)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode == "validation_failed")
            }
        }
    }

    @Test func aResponseThatCannotBeKeptIsStillAnsweredAndARetryDoesNotSendAgain() async throws {
        let app = TestApp()
        try await app.test { client in
            try await app.admin { _, store in
                _ = try await store.database.transaction { connection in
                    try await connection.query(
                        "CREATE TRIGGER refuse_completion BEFORE UPDATE OF response_status ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
                        [])
                }
            }
            let headers: HTTPFields = [.init("X-API-Key")!: sandboxKey, .contentType: "application/json", .init("Idempotency-Key")!: "send-7"]
            let body = ByteBuffer(string: #"{"message": "Hello", "recipients": ["254712345678"], "reference": "kept"}"#)
            try await client.execute(uri: base + "/sms", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .accepted)
            }
            try await client.execute(uri: base + "/sms", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .conflict && response.errorCode == "conflict")
            }
            let page = try await client.api(.get, "/sms?reference=kept").json.data
            #expect((page["messages"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test func anEmailAndACancelRetriedWithTheirKeysAreReplayed() async throws {
        // 2026-06-10; the email is scheduled ten days later, so it is still pending when it is cancelled.
        let app = TestApp(time: ManualTime(Date(timeIntervalSince1970: 1_781_100_300)))
        try await app.test { client in
            func post(_ path: String, key: String, body: String) async throws -> (HTTPResponse.Status, String, String?) {
                let headers: HTTPFields = [.init("X-API-Key")!: sandboxKey, .contentType: "application/json", .init("Idempotency-Key")!: key]
                return try await client.execute(uri: base + path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    (response.status, String(buffer: response.body), response.headers[.init("Idempotent-Replayed")!])
                }
            }
            let email =
                #"{"subject": "Once", "message": "Hello", "recipients": ["jane@example.com"], "reference": "idem-mail", "send_at": "2026-06-20 09:00:00"}"#
            let first = try await post("/email", key: "mail-1", body: email)
            let second = try await post("/email", key: "mail-1", body: email)
            #expect(first.0 == .accepted)
            #expect((second.0, second.1, second.2) == (first.0, first.1, "true"))
            let page = try await client.api(.get, "/email?reference=idem-mail").json.data
            let messages = try #require(page["messages"] as? [[String: Any]])
            #expect(messages.count == 1)
            let id = try #require(messages.first?["message_id"] as? Int)
            let cancel = try await post("/email/\(id)/cancel", key: "cancel-1", body: "")
            let again = try await post("/email/\(id)/cancel", key: "cancel-1", body: "")
            #expect(cancel.0 == .ok)
            #expect((again.0, again.1, again.2) == (cancel.0, cancel.1, "true"))
            #expect(try await post("/email/\(id)/cancel", key: "cancel-1", body: #"{"x": 1}"#).0 == .unprocessableContent)
            // A 409 says nothing was done: it is not kept, so its retry runs again (here, no webhook is set yet).
            let conflict = try await post("/webhooks/test", key: "test-1", body: "")
            let retried = try await post("/webhooks/test", key: "test-1", body: "")
            #expect(conflict.0 == .conflict && retried.0 == .conflict)
            #expect(retried.2 == nil)
        }
    }

    @Test func aPurchaseRetriedWithItsKeyStartsOnePushAndAnErrorIsReplayedToo() async throws {
        let app = TestApp()
        try await app.test { client in
            let headers: HTTPFields = [.init("X-API-Key")!: sandboxKey, .contentType: "application/json", .init("Idempotency-Key")!: "buy-1"]
            var bodies: [String] = []
            for _ in 0..<3 {
                try await client.execute(
                    uri: base + "/sms-credits/purchase", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"phone": "0712345678", "amount": 500}"#)
                ) { response in
                    #expect(response.status == .accepted)
                    bodies.append(String(buffer: response.body))
                }
            }
            #expect(Set(bodies).count == 1)
            #expect(try await client.api(.get, "/sms-credits/purchase/2").status == .notFound)
            let bad: HTTPFields = [.init("X-API-Key")!: sandboxKey, .contentType: "application/json", .init("Idempotency-Key")!: "bad-1"]
            var refusals: [(HTTPResponse.Status, String, String?)] = []
            for _ in 0..<2 {
                try await client.execute(
                    uri: base + "/sms-credits/purchase", method: .post, headers: bad,
                    body: ByteBuffer(string: #"{"phone": "0712345678", "amount": 0}"#)
                ) { response in
                    #expect(response.errorCode == "validation_failed")
                    refusals.append((response.status, String(buffer: response.body), response.headers[.init("Idempotent-Replayed")!]))
                }
            }
            #expect(refusals.map(\.0) == [.unprocessableContent, .unprocessableContent])
            #expect(refusals[0].2 == nil)
            #expect(refusals[1].1 == refusals[0].1 && refusals[1].2 == "true")
            // A valid purchase under a key the middleware refuses: the key is what is wrong, and no push starts.
            for key in [String(repeating: "k", count: 256), "two words", "caf\u{E9}"] {
                let headers: HTTPFields = [.init("X-API-Key")!: sandboxKey, .contentType: "application/json", .init("Idempotency-Key")!: key]
                try await client.execute(
                    uri: base + "/sms-credits/purchase", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"phone": "0712345678", "amount": 500}"#)
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(response.errorCode == "validation_failed")
                    let errors = try response.json()["errors"] as? [String: [String]]
                    #expect(errors?["Idempotency-Key"] != nil, "\(key)")
                }
            }
            #expect(try await client.api(.get, "/sms-credits/purchase/2").status == .notFound)
        }
    }
}
