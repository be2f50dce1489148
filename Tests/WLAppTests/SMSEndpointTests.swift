import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLPorts
import WLStore

@Suite struct SMSEndpointTests {
    @Test func eachSandboxNumberReachesItsDocumentedStatus() async throws {
        try await TestApp().test { client in
            let (status, json) = try await client.api(
                .post, "/sms",
                json: [
                    "message": "Hello {name}, your payment is due.", "recipients": ["254712345678", "254700000099", "254700000088", "0722000111"],
                    "reference": "demo-001",
                ])
            #expect(status == .accepted)
            #expect(json["message"] as? String == "SMS scheduled successfully.")
            #expect((json.data["blast_id"] as? String)?.hasPrefix("SMS-") == true)
            #expect(json.data["scheduled"] as? Int == 4)
            #expect(json.data["reference"] as? String == "demo-001")
            let ids = try #require(json.data["messages"] as? [[String: Any]]).compactMap { ($0["message_id"] as? NSNumber)?.int64Value }
            #expect(ids.count == 4)
            let finals = try await ids.asyncMap { try await client.finalSMS($0) }
            #expect(finals.map { $0["status"] as? String } == ["delivered", "failed", "failed", "delivered"])
            #expect(finals.map { $0["status_code"] as? Int } == [1, 2, 2, 1])
            #expect(
                finals.map { $0["event"] as? String } == [
                    "communication.sms.delivered", "communication.sms.failed", "communication.sms.failed", "communication.sms.delivered",
                ])
            #expect(finals[2]["response"] as? String == "Insufficient SMS credits")
            #expect(finals[0]["type"] as? String == "sms")
            #expect(finals[0]["recipient"] as? String == "254712345678")
            let balance = try await client.api(.get, "/sms-credits/balance")
            #expect((balance.json.data["sms_credits"] as? NSNumber)?.decimalValue == 997)
        }
    }

    @Test func placeholdersAreFilledFromClientsThenTheAddressBook() async throws {
        let app = TestApp()
        try await app.test { client in
            let (_, json) = try await client.api(
                .post, "/sms",
                json: ["message": "Hi {first_name} {last_name}: {account_balance}", "recipients": ["254712345678", "254700000088", "0799111222"]])
            let ids = try #require(json.data["messages"] as? [[String: Any]]).compactMap { ($0["message_id"] as? NSNumber)?.int64Value }
            let bodies = try await app.admin { _, store in
                try await ids.asyncMap { try await store.message(firmID: 1, id: $0)?.body }
            }
            #expect(bodies == ["Hi Jane Wanjiku: KES 1,234.00", "Hi Amina Hassan: KES 0.00", "Hi Customer : KES 0.00"])
        }
    }

    static let invalidBodies: [(String, String, String)] = [
        ("no message", #"{"recipients": ["254712345678"]}"#, "message"),
        ("empty message", #"{"message": "  ", "recipients": ["254712345678"]}"#, "message"),
        ("too long", #"{"message": "\#(String(repeating: "a", count: 1_001))", "recipients": ["254712345678"]}"#, "message"),
        ("unknown placeholder", #"{"message": "Hi {frist_name}", "recipients": ["254712345678"]}"#, "message"),
        ("no recipients", #"{"message": "Hi"}"#, "recipients"),
        ("recipients not an array", #"{"message": "Hi", "recipients": "254712345678"}"#, "recipients"),
        ("no valid recipient", #"{"message": "Hi", "recipients": ["123", "abc"]}"#, "recipients"),
        (
            "too many recipients",
            #"{"message": "Hi", "recipients": [\#(Array(repeating: "\"254712345678\"", count: 10_001).joined(separator: ","))]}"#,
            "recipients"
        ),
        ("bad send_at", #"{"message": "Hi", "recipients": ["254712345678"], "send_at": "tomorrow"}"#, "send_at"),
        ("not JSON", "message=Hi", "body"),
        ("unknown field", #"{"message": "Hi", "recipients": ["254712345678"], "sendAt": "2026-06-10 14:00:00"}"#, "sendAt"),
    ]

    @Test(arguments: invalidBodies.map(\.0))
    func invalidRequestsGet422NamingTheField(name: String) async throws {
        let (_, body, field) = try #require(Self.invalidBodies.first { $0.0 == name })
        try await TestApp().test { client in
            for path in ["/sms", "/sms/quote"] {
                let (status, json) = try await client.api(.post, path, raw: body)
                #expect(status == .unprocessableContent)
                #expect(json["code"] as? String == "validation_failed")
                #expect(json.errors[field]?.isEmpty == false)
            }
            let list = try await client.api(.get, "/sms")
            #expect((list.json.data["messages"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func recipientsGivenAsWholeJSONNumbersAreNumbersToo() async throws {
        try await TestApp().test { client in
            let (status, json) = try await client.api(
                .post, "/sms", raw: #"{"message": "Hi", "recipients": [254712345678, 700000099, "0712345678"]}"#)
            #expect(status == .accepted)
            let messages = try #require(json.data["messages"] as? [[String: Any]])
            #expect(messages.map { $0["recipient"] as? String } == ["254712345678", "254700000099"])
            let skipped = try #require(json.data["skipped"] as? [[String: Any]])
            #expect(skipped.map { $0["reason"] as? String } == ["duplicate"])
            // A number that is not a whole one is no phone number in any form.
            for entry in ["12.5", "-712345678", "true"] {
                let (status, json) = try await client.api(.post, "/sms", raw: #"{"message": "Hi", "recipients": [\#(entry)]}"#)
                #expect(
                    status == .unprocessableContent && json["code"] as? String == "validation_failed" && json.errors["recipients"] != nil, "\(entry)")
            }
        }
    }

    @Test func aQuotePricesEachRecipientAndSendsNothing() async throws {
        try await TestApp().test { client in
            let (status, json) = try await client.api(
                .post, "/sms/quote",
                json: ["message": "Habari {first_name} 😀 " + String(repeating: "x", count: 60), "recipients": ["254712345678", "0799111222", "x"]])
            #expect(status == .ok)
            let lines = try #require(json.data["recipients"] as? [[String: Any]])
            #expect(lines.map { $0["encoding"] as? String } == ["UCS-2", "UCS-2"])
            #expect(lines.map { $0["segments"] as? Int } == [2, 2])
            #expect(lines[0]["non_gsm_characters"] as? [String] == ["😀"])
            #expect(json.data["total_credits"] as? Int == 4)
            #expect((json.data["skipped"] as? [[String: Any]])?.first?["reason"] as? String == "invalid_number")
            #expect(json.data["sufficient_balance"] as? Bool == true)
            let list = try await client.api(.get, "/sms")
            #expect((list.json.data["messages"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func anotherFirmsMessageIsNotFound() async throws {
        let app = TestApp()
        try await app.test { client in
            let key = try await app.admin { admin, _ in
                _ = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100), mode: .sandbox))
                return try await admin.createKey(firm: "acme", label: "t").key.secret
            }
            let (_, json) = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"]])
            let id = try #require((json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            for (method, path) in [(HTTPRequest.Method.get, "/sms/\(id)"), (.post, "/sms/\(id)/cancel")] {
                let other = try await client.api(method, path, key: key)
                #expect(other.status == .notFound && other.json["code"] as? String == "not_found", "\(path)")
            }
            #expect(try await client.api(.get, "/sms/\(id)").status == .ok)
            #expect(try await client.api(.get, "/sms/not-a-number").status == .notFound)
            let list = try await client.api(.get, "/sms", key: key)
            #expect((list.json.data["messages"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func scheduledMessagesCanBeCancelledOnceSendingHasNotBegun() async throws {
        try await TestApp().test { client in
            let later = "2099-01-01 10:00:00"
            let tooLate = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"], "send_at": later])
            #expect(tooLate.status == .unprocessableContent && tooLate.json["code"] as? String == "validation_failed")
            #expect(tooLate.json.errors["send_at"]?.isEmpty == false)  // beyond 90 days
            let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3_600))
            let (_, json) = try await client.api(
                .post, "/sms", json: ["message": "Hi", "recipients": ["254712345678", "254722000111"], "send_at": soon])
            let ids = try #require(json.data["messages"] as? [[String: Any]]).compactMap { $0["message_id"] as? Int }
            let blastID = try #require(json.data["blast_id"] as? String)
            let cancelled = try await client.api(.post, "/sms/\(ids[0])/cancel")
            #expect(cancelled.status == .ok)
            #expect(cancelled.json.data["status"] as? String == "failed")
            #expect(cancelled.json.data["response"] as? String == "Cancelled")
            #expect(try await client.api(.post, "/sms/\(ids[0])/cancel").status == .ok)
            let blast = try await client.api(.post, "/sms/blasts/\(blastID)/cancel")
            #expect(blast.status == .ok)
            #expect(blast.json.data["cancelled"] as? Int == 1)
            #expect(blast.json.data["already_cancelled"] as? Int == 1)
            let noBlast = try await client.api(.post, "/sms/blasts/SMS-NOPE/cancel")
            #expect(noBlast.status == .notFound && noBlast.json["code"] as? String == "not_found")
            let (_, now) = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"]])
            let sentID = try #require((now.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            _ = try await client.finalSMS(Int64(sentID))
            let late = try await client.api(.post, "/sms/\(sentID)/cancel")
            #expect(late.status == .conflict)
            #expect(late.json["code"] as? String == "conflict")
            let lateBlast = try await client.api(.post, "/sms/blasts/\(try #require(now.data["blast_id"] as? String))/cancel")
            #expect(lateBlast.status == .conflict && lateBlast.json["code"] as? String == "conflict")
        }
    }

    @Test func listsFilterAndPage() async throws {
        try await TestApp().test { client in
            let (_, first) = try await client.api(
                .post, "/sms", json: ["message": "A", "recipients": ["254712345678", "254722000111"], "reference": "r1"])
            _ = try await client.api(.post, "/sms", json: ["message": "B", "recipients": ["254733000111"], "reference": "r2"])
            let page = try await client.api(.get, "/sms?limit=2")
            #expect((page.json.data["messages"] as? [Any])?.count == 2)
            #expect(page.json.data["has_more"] as? Bool == true)
            let next = try #require(page.json.data["next_starting_after"] as? Int)
            let rest = try await client.api(.get, "/sms?limit=2&starting_after=\(next)")
            #expect((rest.json.data["messages"] as? [Any])?.count == 1)
            #expect(rest.json.data["has_more"] as? Bool == false)
            let byReference = try await client.api(.get, "/sms?reference=r1")
            #expect((byReference.json.data["messages"] as? [Any])?.count == 2)
            let byBlast = try await client.api(.get, "/sms?blast_id=\(try #require(first.data["blast_id"] as? String))&recipient=0722000111")
            #expect((byBlast.json.data["messages"] as? [[String: Any]])?.map { $0["recipient"] as? String } == ["254722000111"])
            for bad in [
                "limit=0", "limit=101", "status=lost", "recipient=123", "created_from=yesterday", "starting_after=x",
                "starting_after=0", "starting_after=-5", "status=failed&status=delivered",
            ] {
                let refused = try await client.api(.get, "/sms?\(bad)")
                #expect(refused.status == .unprocessableContent && refused.json["code"] as? String == "validation_failed", "\(bad)")
            }
        }
    }
}

extension Sequence where Element: Sendable {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
