import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

@Suite struct EmailEndpointTests {
    @Test(arguments: TestEngine.available)
    func theContractsEmailIsDeliveredInTheSandboxAndTheFailingAddressIsSuppressed(engine: TestEngine) async throws {
        let app = try await TestApp(engine: engine)
        try await app.test { client in
            let (status, json) = try await client.api(
                .post, "/email",
                json: [
                    "subject": "Payment reminder", "message": "<p>Hello {first_name}, your balance is {account_balance}.</p>",
                    "recipients": ["jane@example.com", "Jane@EXAMPLE.com", "fail@example.com", "not-an-address"], "reference": "invoice-42",
                ])
            #expect(status == .accepted)
            #expect((json.data["blast_id"] as? String)?.hasPrefix("MAIL-") == true)
            #expect(json.data["scheduled"] as? Int == 2)
            let skipped = json.data["skipped"] as? [[String: String]] ?? []
            #expect(skipped.map { $0["reason"] ?? "" } == ["duplicate", "invalid_email"])
            let ids = (json.data["messages"] as? [[String: Any]] ?? []).compactMap { $0["message_id"] as? Int }
            let delivered = try await client.finalEmail(ids[0])
            #expect(delivered["type"] as? String == "email")
            #expect(delivered["event"] as? String == "communication.email.delivered")
            #expect(delivered["status_code"] as? Int == 1)
            #expect(delivered["response"] as? String == "250 2.0.0 Ok (sandbox)")
            #expect(delivered["subject"] as? String == "Payment reminder")
            #expect(delivered["reference"] as? String == "invoice-42")
            #expect(delivered["opens"] as? Int == 0)
            let failed = try await client.finalEmail(ids[1])
            #expect(failed["status"] as? String == "failed")
            #expect((failed["response"] as? String)?.hasPrefix("550") == true)
            let again = try await client.api(.post, "/email", json: ["subject": "S", "message": "Hi", "recipients": ["FAIL@example.com"]])
            #expect(again.status == .unprocessableContent)
            #expect(again.json.errors["recipients"] == ["FAIL@example.com: suppressed"])
            let page = try await client.api(.get, "/email?reference=invoice-42&status=delivered").json.data
            #expect((page["messages"] as? [[String: Any]])?.map { $0["message_id"] as? Int } == [ids[0]])
            #expect(try await client.api(.get, "/sms/\(ids[0])").status == .notFound)
        }
    }

    @Test func anEmailAnswersAndShowsWhenItGoesOutAsAnSMSDoes() async throws {
        let app = TestApp()
        try await app.test { client in
            let (status, json) = try await client.api(
                .post, "/email", json: ["subject": "S", "message": "Hi", "recipients": ["jane@example.com"], "send_at": "2099-01-10 09:00:00"])
            #expect(status == .unprocessableContent)  // more than 90 days ahead
            #expect(json.errors["send_at"] != nil)
            let later = app.time.now.addingTimeInterval(3 * 86_400)
            let local = FirmTime.format(later, timezone: "Africa/Nairobi")
            let (accepted, sent) = try await client.api(
                .post, "/email", json: ["subject": "S", "message": "Hi", "recipients": ["jane@example.com"], "send_at": local])
            #expect(accepted == .accepted)
            #expect(sent.data["scheduled_for"] as? String == local)
            let id = try #require((sent.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            let pending = try await client.api(.get, "/email/\(id)").json.data
            #expect(pending["status"] as? String == "pending")
            #expect(pending["scheduled_for"] as? String == local)
        }
    }

    @Test func badEmailsAreRefusedFieldByField() async throws {
        try await TestApp().test { client in
            let cases: [([String: Any], String)] = [
                (["message": "Hi", "recipients": ["a@b.co"]], "subject"),
                (["subject": "Two\r\nlines", "message": "Hi", "recipients": ["a@b.co"]], "subject"),
                (["subject": String(repeating: "s", count: 999), "message": "Hi", "recipients": ["a@b.co"]], "subject"),
                (["subject": "S", "recipients": ["a@b.co"]], "message"),
                (["subject": "S", "message": String(repeating: "m", count: 200_001), "recipients": ["a@b.co"]], "message"),
                (["subject": "S", "message": "Hi {nickname}", "recipients": ["a@b.co"]], "message"),
                (["subject": "S", "message": "Hi", "recipients": [String]()], "recipients"),
                (["subject": "S", "message": "Hi", "recipients": ["nope"]], "recipients"),
                (["subject": "S", "message": "Hi", "recipients": ["a@b.co"], "from": "ceo@bank.example"], "from"),
            ]
            for (body, field) in cases {
                let (status, json) = try await client.api(.post, "/email", json: body)
                #expect(status == .unprocessableContent, "\(field)")
                #expect(json.errors[field] != nil, "\(field): \(json)")
            }
        }
    }

    @Test func trackedLinksRedirectOnlyToTheirURLAndCountOnce() async throws {
        let app = TestApp(webhooksAllowPrivate: true)
        try await app.test { client in
            let sent = try await client.api(
                .post, "/email", json: ["subject": "S", "message": #"<a href="https://pay.example/x">Pay</a>"#, "recipients": ["jane@example.com"]])
            let id = try #require((sent.json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            _ = try await client.finalEmail(id)
            let secret = try await app.admin { _, store in try await store.serviceSecret("tracking", candidate: "unused", now: .now) }
            let signer = TrackingSigner(secret: secret)
            let click = signer.token(for: .click(messageID: Int64(id), url: "https://pay.example/x"))
            for _ in 0..<2 {
                try await client.execute(uri: "/t/c/\(click)", method: .get) { response in
                    #expect(response.status == .found)
                    #expect(response.headers[.location] == "https://pay.example/x")
                }
            }
            try await client.execute(uri: "/t/o/\(signer.token(for: .open(messageID: Int64(id)))).gif", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/gif")
                #expect(response.body.readableBytes == 43)
            }
            // A link of a message no longer kept (retention, erasure) still takes the reader where it said.
            let gone = signer.token(for: .click(messageID: 999_999, url: "https://pay.example/gone"))
            try await client.execute(uri: "/t/c/\(gone)", method: .get) { response in
                #expect(response.status == .found)
                #expect(response.headers[.location] == "https://pay.example/gone")
            }
            let forged = TrackingSigner(secret: "guess").token(for: .click(messageID: Int64(id), url: "https://evil.example"))
            for uri in ["/t/c/\(forged)", "/t/c/\(click)x", "/t/o/\(click).gif", "/t/c/\(signer.token(for: .open(messageID: Int64(id))))"] {
                try await client.execute(uri: uri, method: .get) { response in #expect(response.status == .notFound, "\(uri)") }
            }
            let email = try await client.api(.get, "/email/\(id)").json.data
            // Two clicks within a minute count once.
            #expect(email["clicks"] as? Int == 1)
            #expect(email["opens"] as? Int == 1)
            #expect(email["clicked_at"] is String)
            #expect(email["opened_at"] is String)
            let events = try await app.admin { _, store in try await store.events(firmID: 1, messageID: Int64(id)).map(\.event) }
            #expect(
                events.filter { $0.hasSuffix(".clicked") || $0.hasSuffix(".opened") } == [
                    "communication.email.clicked", "communication.email.opened",
                ])
        }
    }
}
