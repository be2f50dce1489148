import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Prometheus
import Testing

@Suite struct HTTPEdgeTests {
    @Test func aSaneRequestIdIsEchoed() async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [.init("X-Request-Id")!: "abc-123.x_y:z"]) { response in
                #expect(response.headers[.init("X-Request-Id")!] == "abc-123.x_y:z")
            }
        }
    }

    @Test(arguments: ["has space", String(repeating: "a", count: 129), "new\u{7F}line", "ünïcode"])
    func anInsaneRequestIdIsReplaced(id: String) async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [.init("X-Request-Id")!: id]) { response in
                let echoed = try #require(response.headers[.init("X-Request-Id")!])
                #expect(echoed != id)
                #expect(echoed.hasPrefix("req_"))
                #expect(echoed.utf8.count == 36 && echoed.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
            }
        }
    }

    @Test func unknownRoutesGet404InTheEnvelope() async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "\(base)/nothing-here", method: .get, headers: [.init("X-API-Key")!: sandboxKey]) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "not_found")
            }
        }
    }

    @Test(arguments: [HTTPRequest.Method.delete, .post, .trace, .options, HTTPRequest.Method("QUERY")!])
    func aKnownPathWithAnotherMethodGets405WithAllow(method: HTTPRequest.Method) async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "\(base)/sms-credits/balance", method: method) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                #expect(response.errorCode == "method_not_allowed")
            }
        }
    }

    @Test func aBodyOverOneMebibyteGets413() async throws {
        try await TestApp().test { client in
            let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: 1_048_577)
            try await client.execute(
                uri: "\(base)/sms-credits/balance", method: .post, headers: [.init("X-API-Key")!: sandboxKey, .contentLength: "1048577"], body: body
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode == "payload_too_large")
            }
        }
    }

    @Test func aChunkedBodyOverOneMebibyteGets413NamingTheLimit() async throws {
        // A real server: the router test client always sends Content-Length, which the middleware checks first.
        try await TestApp().test(.live) { client in
            let port = try #require(client.port)
            var request = Array(
                "POST \(base)/sms HTTP/1.1\r\nHost: localhost\r\nX-API-Key: \(sandboxKey)\r\nContent-Type: application/json\r\n".utf8)
            request += Array("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".utf8)
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 65_536)
            for _ in 0..<17 { request += Array("10000\r\n".utf8) + chunk + Array("\r\n".utf8) }
            request += Array("0\r\n\r\n".utf8)
            let answer = try await Self.exchange(port: port, request)
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.contains(#""code":"payload_too_large""#))
            #expect(answer.contains("over the limit of 1048576 bytes"))
        }
    }

    /// Writes `request` to a new connection and reads until the server closes it.
    static func exchange(port: Int, _ request: [UInt8]) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
        return try await channel.executeThenClose { inbound, outbound in
            // The server may answer and close before it has read the whole body: a failed write is expected then.
            try? await outbound.write(ByteBuffer(bytes: request))
            var answer = ""
            do {
                for try await var buffer in inbound { answer += buffer.readString(length: buffer.readableBytes) ?? "" }
            } catch {
                // A reset after the answer arrived.
            }
            return answer
        }
    }

    @Test(arguments: ["gzip", "br", "deflate, gzip"])
    func aCompressedBodyGets415NotAConfusingValidationError(encoding: String) async throws {
        try await TestApp().test { client in
            try await client.execute(
                uri: "\(base)/sms", method: .post,
                headers: [.init("X-API-Key")!: sandboxKey, .contentEncoding: encoding, .contentType: "application/json"],
                body: ByteBuffer(bytes: [0x1f, 0x8b, 0x08, 0x00])
            ) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(response.errorCode == "unsupported_media_type")
            }
            try await client.execute(
                uri: "\(base)/sms-credits/balance", method: .get, headers: [.init("X-API-Key")!: sandboxKey, .contentEncoding: "identity"]
            ) { #expect($0.status == .ok) }
        }
    }

    @Test(arguments: ["[1,2]", "[]", "\"abc\"", "123", "true"])
    func aBodyThatIsNotAnObjectIsSaidToNeedOne(body: String) async throws {
        try await TestApp().test { client in
            try await client.execute(
                uri: "\(base)/sms", method: .post, headers: [.init("X-API-Key")!: sandboxKey, .contentType: "application/json"],
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode == "validation_failed")
                #expect(String(buffer: response.body).contains(#""body":["Expected an object."]"#))
            }
        }
    }

    @Test(arguments: [
        "/sms?limt=1", "/email?stauts=failed", "/sms/opt-outs?page=2", "/sms-credits/transactions?offset=20", "/webhooks/deliveries?state=failed",
        "/privacy/export?msisdn=0712345678",
    ])
    func aMisspeltQueryParameterIsRefusedNotIgnored(target: String) async throws {
        try await TestApp().test { client in
            let (status, json) = try await client.api(.get, target)
            #expect(status == .unprocessableContent)
            #expect(json["code"] as? String == "validation_failed")
            let name = String(target.split(separator: "?")[1].split(separator: "=")[0])
            #expect(json.errors[name]?.first?.hasPrefix("Unknown query parameter; this endpoint takes ") == true)
        }
    }

    @Test func everyDocumentedListFilterIsStillTaken() async throws {
        try await TestApp().test { client in
            for target in [
                "/sms?limit=5&starting_after=9&status=delivered&category=promotional&reference=r&blast_id=SMS-1&recipient=0712345678"
                    + "&created_from=2026-01-01T00:00:00Z&created_to=2026-12-31T00:00:00Z",
                "/email?limit=5&status=failed&recipient=a@example.com", "/sms/opt-outs?limit=5&starting_after=254712345678",
                "/sms-credits/transactions?limit=5", "/webhooks/deliveries?status=failed&message_id=1&event_id=2&payment_id=3&limit=5",
                "/privacy/export?phone=0712345678",
            ] {
                let status = try await client.api(.get, target).status
                #expect(status == .ok, "\(target)")
            }
        }
    }

    @Test(arguments: [
        #"{"message":"hi","message":"yo","recipients":["254712345678"]}"#,
        #"{"message":"hi","recipients":[{"to":"254712345678","variables":{"a":"1","a":"2"}}]}"#,
    ])
    func aBodyWithAKeyGivenTwiceIsRefusedNotReadOneWayOrTheOther(body: String) async throws {
        try await TestApp().test { client in
            let (status, json) = try await client.api(.post, "/sms", raw: body)
            #expect(status == .unprocessableContent)
            #expect(json["code"] as? String == "validation_failed")
            #expect(json.errors.values.contains(["Given more than once."]))
        }
    }

    @Test func anEmptyFieldIsToldApartFromAMissingOne() async throws {
        try await TestApp().test { client in
            let empty = try await client.api(.post, "/sms", json: ["message": " ", "recipients": [String]()])
            #expect(empty.status == .unprocessableContent)
            #expect(empty.json.errors["message"] == ["May not be empty or only spaces."])
            let missing = try await client.api(.post, "/sms", json: ["recipients": ["254712345678"]])
            #expect(missing.json.errors["message"] == ["This field is required."])
            let noRecipient = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": [String]()])
            #expect(noRecipient.json.errors["recipients"] == ["This field is required: give at least one recipient."])
            let email = try await client.api(.post, "/email", json: ["subject": "", "message": "Hi", "recipients": ["a@example.com"]])
            #expect(email.json.errors["subject"] == ["May not be empty or only spaces."])
        }
    }

    @Test func a401NamesTheSchemeThatWouldWork() async throws {
        try await TestApp().test { client in
            for headers: HTTPFields in [[:], [.init("X-API-Key")!: "wl_comm_wrong"], [.authorization: "Bearer wl_comm_wrong"]] {
                try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode == "unauthenticated")
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="World Ledgers""#)
                }
            }
        }
    }

    @Test func healthAndReadinessAnswer() async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.field("status") == "ok")
            }
        }
    }

    @Test func metricsAreServedInPrometheusTextToTheBearerOfTheMetricsToken() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(descriptor: .init(namespace: "wlcomm", metricName: "test", unitName: "total", helpText: "A test counter.")).increment(
            by: Int64(3))
        var app = TestApp()
        app.settings["metrics.token"] = .init(.string("metrics-token-1"), isSecret: true)
        try await app.test(metrics: registry) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-1"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("wlcomm_test_total 3"))
            }
            for presented in [nil, "Bearer metrics-token-2", "Bearer metrics-token-1x", "metrics-token-1"] {
                let headers: HTTPFields = presented.map { [.authorization: $0] } ?? [:]
                try await client.execute(uri: "/metrics", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body).contains(#""code":"unauthenticated""#))
                }
            }
        }
    }

    @Test func metricsShowEachQueuesDepthAndAgeReadFromTheStore() async throws {
        var app = TestApp()
        app.settings["metrics.token"] = .init(.string("metrics-token-1"), isSecret: true)
        try await app.test(metrics: PrometheusCollectorRegistry()) { client in
            let scrape = { () async throws -> String in
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-1"]) {
                    String(buffer: $0.body)
                }
            }
            #expect(try await scrape().contains(#"wlcomm_queue_depth{queue="sms",status="pending"} 0"#))
            // Scheduled an hour ahead: it waits in the queue, not yet due, so it has depth but no age.
            let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3_600))
            let body: [String: Any] = ["message": "Hi", "recipients": ["254712345678", "254722000111"], "send_at": soon]
            let (status, _) = try await client.api(.post, "/sms", json: body)
            #expect(status == .accepted)
            let text = try await scrape()
            #expect(text.contains(#"wlcomm_queue_depth{queue="sms",status="pending"} 2"#))
            #expect(text.contains(#"wlcomm_queue_oldest_age_seconds{queue="sms",status="pending"} 0"#))
            #expect(text.contains(#"wlcomm_queue_depth{queue="webhooks",status="pending"} 0"#))
            #expect(text.contains("# HELP wlcomm_queue_depth"))
        }
    }

    @Test func aBlastMovesTheMessageProviderAndCreditMetrics() async throws {
        var app = TestApp()
        app.settings["metrics.token"] = .init(.string("metrics-token-1"), isSecret: true)
        try await app.test(metrics: PrometheusCollectorRegistry()) { client in
            let scrape = { () async throws -> String in
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-1"]) {
                    String(buffer: $0.body)
                }
            }
            #expect(try await !scrape().contains("wlcomm_messages_total"))
            let (_, sent) = try await client.api(
                .post, "/sms", json: ["message": "Hi", "recipients": ["254712345678", "254700000099", "254700000088", "0722000111"]])
            let ids = try #require(sent.data["messages"] as? [[String: Any]]).compactMap { ($0["message_id"] as? NSNumber)?.int64Value }
            for id in ids { _ = try await client.finalSMS(id) }
            let text = try await scrape()
            let delivered = #"wlcomm_messages_total{channel="sms",status="delivered",category="transactional",provider="sandbox"}"#
            let failed = #"wlcomm_messages_total{channel="sms",status="failed",category="transactional",provider="sandbox"}"#
            let unpaid = #"wlcomm_messages_total{channel="sms",status="failed",category="transactional",provider="none"}"#
            #expect(metric(text, delivered) == 2 && metric(text, failed) == 1 && metric(text, unpaid) == 1)
            #expect(metric(text, #"wlcomm_provider_calls_total{provider="sandbox",outcome="ok"}"#) == 1)
            #expect(metric(text, #"wlcomm_provider_call_duration_seconds_count{provider="sandbox"}"#) == 1)
            #expect(metric(text, #"wlcomm_credits_total{kind="debited"}"#) == 3)
            #expect(text.contains("# HELP wlcomm_messages_total"))
        }
    }

    /// The value of the sample named exactly `series` (name and labels) in an exposition text.
    private func metric(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func withoutATokenMetricsAreForLoopbackClientsOnly() async throws {
        // The router test transport has no client address, so it stands for a remote client.
        try await TestApp().test(metrics: PrometheusCollectorRegistry()) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "unauthenticated")
            }
        }
        // Over a real connection from 127.0.0.1 no token is needed.
        try await TestApp().test(.live, metrics: PrometheusCollectorRegistry()) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#"wlcomm_queue_depth{queue="sms",status="pending"} 0"#))
            }
        }
    }

    @Test func theOpenAPIDocumentIsServedWithoutAKey() async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "\(base)/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1"))
            }
        }
    }

    @Test func nulCharactersInAPathQueryOrBodyAre422NotAnEngineError() async throws {
        try await TestApp().test { client in
            let query = try await client.api(.get, "/sms?reference=a%00b")
            #expect(query.status == .unprocessableContent && query.json["code"] as? String == "validation_failed")
            let path = try await client.api(.post, "/sms/blasts/SMS-%00/cancel")
            #expect(path.status == .unprocessableContent && path.json["code"] as? String == "validation_failed")
            let (status, json) = try await client.api(.post, "/sms", raw: #"{"message": "a\u0000b", "recipients": ["254712345678"]}"#)
            #expect(status == .unprocessableContent)
            #expect(json["code"] as? String == "validation_failed")
            // `\\u0000` is a backslash and the text `u0000`, which a message may hold.
            let text = try await client.api(.post, "/sms", raw: #"{"message": "a\\u0000b", "recipients": ["254712345678"]}"#)
            #expect(text.status == .accepted)
        }
    }
}

@Suite struct AccessLogTests {
    @Test func callbackAndTrackingTokensNeverReachTheLog() async throws {
        let capture = LogCapture()
        try await TestApp().with(["log.level": "info"]).test(logger: capture.logger()) { client in
            try await client.execute(uri: "/callbacks/mpesa/stk/1/mpesa-zq9x", method: .post, body: ByteBuffer(string: "{}")) { _ in }
            try await client.execute(uri: "/callbacks/africastalking/dlr/at-zq9x", method: .post) { _ in }
            try await client.execute(uri: "/t/c/click-zq9x", method: .get) { _ in }
            try await client.execute(uri: "/t/o/open-zq9x.gif", method: .get) { _ in }
            try await client.execute(uri: "/callbacks/africastalking/optout/slash-zq9x/", method: .post) { _ in }
            try await client.execute(uri: "/console/invite/invite-zq9x", method: .get) { _ in }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: [.init("X-API-Key")!: sandboxKey]) { _ in }
            for path in ["/sms/opt-outs/0712zq9x", "/contacts/254712zq9x"] {
                try await client.execute(uri: base + path, method: .delete, headers: [.init("X-API-Key")!: sandboxKey]) { _ in }
            }
        }
        let lines = capture.all
        #expect(!lines.contains { $0.contains("zq9x") }, "\(lines.filter { $0.contains("zq9x") })")
        for path in [
            "/callbacks/mpesa/stk/1/[redacted]", "/callbacks/africastalking/dlr/[redacted]", "/callbacks/africastalking/optout/[redacted]",
            "/t/c/[redacted]", "/t/o/[redacted]", "/console/invite/[redacted]", "\(base)/sms/opt-outs/[redacted]",
            "\(base)/contacts/[redacted]",
        ] {
            #expect(lines.contains { $0.contains("path=\(path)") }, "no access line for \(path)")
        }
        #expect(lines.contains { $0.contains("path=\(base)/sms-credits/balance") })
    }
}
