import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLPorts
import WLStore

@Suite struct PersonalDataEndpointTests {
    @Test func putContactsCreatesThenUpdatesAndRepeatingChangesNothing() async throws {
        let app = TestApp()
        try await app.test { client in
            let body: [String: Any] = [
                "contacts": [
                    [
                        "phone": "0799 111 222", "first_name": "Otieno", "account_balance": 1_500.5, "promotional_consent": true,
                        "consent_source": "shop",
                    ],
                    ["phone": "254712345678", "first_name": "Jane", "last_name": "W.", "account_balance": "99.99", "email": "JANE@example.com"],
                ]
            ]
            let first = try await client.api(.put, "/contacts", json: body)
            #expect(first.status == .ok)
            #expect(first.json.data["created"] as? Int == 1 && first.json.data["updated"] as? Int == 1)
            let again = try await client.api(.put, "/contacts", json: body)
            #expect(again.json.data["created"] as? Int == 0 && again.json.data["updated"] as? Int == 2)
            let contacts = try await app.admin { _, store in try await store.contactsByPhone(firmID: 1, phones: ["254799111222", "254712345678"]) }
            #expect(contacts["254799111222"]?.accountBalance == KES(cents: 150_050))
            #expect(contacts["254799111222"]?.promotionalConsent == true && contacts["254799111222"]?.consentSource == "shop")
            #expect(contacts["254712345678"]?.lastName == "W." && contacts["254712345678"]?.email == "jane@example.com")
            let sms = try await client.api(
                .post, "/sms/quote", json: ["message": "Hi {first_name}: {account_balance}", "recipients": ["0799111222"]])
            #expect(sms.status == .ok)
            #expect(try await client.api(.delete, "/contacts/0799111222").json.data["deleted"] as? Int == 1)
            let gone = try await client.api(.delete, "/contacts/0799111222")
            #expect(gone.status == .notFound && gone.json["code"] as? String == "not_found")
        }
    }

    @Test func badContactsAreNamedByPositionAndNothingIsWritten() async throws {
        let app = TestApp()
        try await app.test { client in
            let before = try await app.admin { _, store in try await store.contacts(firmID: 1).count }
            let (status, json) = try await client.api(
                .put, "/contacts",
                json: [
                    "contacts": [
                        ["phone": "0799111222", "first_name": "Ok"], ["phone": "12345"], ["phone": "0799111222"],
                        ["phone": "0711000111", "email": "not-an-address", "account_balance": "1.234"],
                    ]
                ])
            #expect(status == .unprocessableContent && json["code"] as? String == "validation_failed")
            #expect(json.errors["contacts[1].phone"] == ["Not a Kenyan mobile number."])
            #expect(json.errors["contacts[2].phone"]?.first?.contains("contacts[0]") == true)
            #expect(json.errors["contacts[3].email"] != nil && json.errors["contacts[3].account_balance"] != nil)
            #expect(try await app.admin { _, store in try await store.contacts(firmID: 1).count } == before)
            let unknown = try await client.api(.put, "/contacts", json: ["contacts": [["phone": "0799111222", "balance": 3]]])
            #expect(unknown.status == .unprocessableContent && unknown.json.errors["balance"] != nil)
            let empty = try await client.api(.put, "/contacts", json: ["contacts": []])
            #expect(empty.status == .unprocessableContent && empty.json.errors["contacts"] == ["This field is required."])
        }
    }

    @Test func perRecipientVariablesComeBeforeTheContactAndPlainNumbersStillWork() async throws {
        let app = TestApp()
        try await app.test { client in
            let (status, json) = try await client.api(
                .post, "/sms",
                json: [
                    "message": "Hi {first_name}, invoice {invoice} is due {due}.",
                    "recipients": [
                        ["to": "254712345678", "variables": ["invoice": "INV-42", "due": "5 Dec"]],
                        ["to": "0799111222", "variables": ["invoice": "INV-43", "due": "6 Dec", "first_name": "Boss"]],
                    ],
                ])
            #expect(status == .accepted)
            let ids = try #require(json.data["messages"] as? [[String: Any]]).compactMap { ($0["message_id"] as? NSNumber)?.int64Value }
            let bodies = try await app.admin { _, store in try await ids.asyncMap { try await store.message(firmID: 1, id: $0)?.body } }
            #expect(bodies == ["Hi Jane, invoice INV-42 is due 5 Dec.", "Hi Boss, invoice INV-43 is due 6 Dec."])
            let plain = try await client.api(.post, "/sms", json: ["message": "Hi {first_name}", "recipients": ["254712345678"]])
            #expect(plain.status == .accepted)
        }
    }

    @Test func aPlaceholderSomeRecipientsLackIsA422NamingThem() async throws {
        try await TestApp().test { client in
            let (status, json) = try await client.api(
                .post, "/sms",
                json: [
                    "message": "Invoice {invoice}", "recipients": [["to": "254712345678", "variables": ["invoice": "INV-42"]], "0799111222"],
                ])
            #expect(status == .unprocessableContent && json["code"] as? String == "validation_failed")
            #expect(json.errors["recipients"] == ["254799111222 has no value for {invoice}."])
            let bad = try await client.api(
                .post, "/sms", json: ["message": "Hi", "recipients": [["to": "254712345678", "variables": ["in-voice": "x"]]]])
            #expect(bad.status == .unprocessableContent && bad.json.errors["recipients"]?.first?.contains("in-voice") == true)
            let wrongShape = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": [["number": "254712345678"]]])
            #expect(wrongShape.status == .unprocessableContent && wrongShape.json.errors["recipients"] != nil)
        }
    }

    @Test func moreThanFiftyDifferentPlaceholdersIsA422() async throws {
        let fifty = (1...50).map { "{v\($0)}" }.joined(separator: " ")
        let tooMany = ["At most 50 different placeholders; this one has 51."]
        try await TestApp().test { client in
            let sms = try await client.api(.post, "/sms", json: ["message": fifty + " {v51}", "recipients": ["254712345678"]])
            #expect(sms.status == .unprocessableContent && sms.json["code"] as? String == "validation_failed")
            #expect(sms.json.errors["message"] == tooMany)
            let email = try await client.api(
                .post, "/email", json: ["subject": fifty + " {v51}", "message": "Hi", "recipients": ["amina@example.com"]])
            #expect(email.status == .unprocessableContent && email.json["code"] as? String == "validation_failed")
            #expect(email.json.errors["subject"] == tooMany)
            // Fifty pass the cap (and are then refused as unknown, as no recipient gives their values).
            let atTheCap = try await client.api(.post, "/sms", json: ["message": fifty, "recipients": ["254712345678"]])
            #expect(atTheCap.json.errors["message"]?.first?.hasPrefix("Unknown placeholders {v1}, {v2},") == true)
        }
    }

    @Test func emailVariablesAreEscapedInHTMLBodies() async throws {
        let app = TestApp()
        try await app.test { client in
            let (status, json) = try await client.api(
                .post, "/email",
                json: [
                    "subject": "Invoice {invoice}", "message": "<p>Dear {name}, see {invoice}</p>",
                    "recipients": [["to": "Amina@example.com", "variables": ["invoice": "<b>INV-7</b>"]]],
                ])
            #expect(status == .accepted)
            let id = try #require((json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            let message = try await app.admin { _, store in try await store.message(firmID: 1, id: Int64(id)) }
            #expect(message?.subject == "Invoice <b>INV-7</b>")
            #expect(message?.body.contains("see &lt;b&gt;INV-7&lt;/b&gt;") == true)
        }
    }

    @Test func aFirmRequiringConsentSendsPromotionsOnlyToContactsWhoGaveIt() async throws {
        let app = TestApp(time: ManualTime(KenyaSMSTests.morning))
        try await app.test { client in
            _ = try await app.admin { admin, _ in try await admin.update("sandbox", FirmUpdate(promotionalConsentRequired: true)) }
            _ = try await client.api(
                .put, "/contacts", json: ["contacts": [["phone": "0799111222", "promotional_consent": true, "consent_source": "signup form"]]])
            let sent = try await client.api(
                .post, "/sms", json: ["message": "Sale", "recipients": ["0799111222", "254712345678"], "category": "promotional"]
            ).json.data
            #expect(sent["scheduled"] as? Int == 1)
            #expect((sent["skipped"] as? [[String: Any]])?.map { $0["reason"] as? String } == ["no_consent"])
            let receipt = try await client.api(.post, "/sms", json: ["message": "Receipt", "recipients": ["254712345678"]])
            #expect(receipt.json.data["scheduled"] as? Int == 1)
        }
    }

    @Test func theExportShowsTheTextOfAnEmailWithoutPlaceholdersStoredOnceForItsBlast() async throws {
        try await TestApp().test { client in
            let sent = try await client.api(
                .post, "/email",
                json: ["subject": "Statement", "message": "Your statement is ready.", "recipients": ["amina@example.com", "joe@example.com"]])
            #expect(sent.status == .accepted)
            let export = try await client.api(.get, "/privacy/export?email=Amina@example.com").json.data
            let messages = export["messages"] as? [[String: Any]] ?? []
            #expect(messages.map { $0["body"] as? String } == ["Your statement is ready."])
            #expect(messages.map { $0["subject"] as? String } == ["Statement"])
        }
    }

    @Test func aPersonCanBeExportedThenErasedThroughTheAPI() async throws {
        try await TestApp().test { client in
            let sent = try await client.api(.post, "/sms", json: ["message": "Hi {first_name}", "recipients": ["254712345678"]])
            let id = try #require((sent.json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            _ = try await client.finalSMS(Int64(id))
            let export = try await client.api(.get, "/privacy/export?phone=0712345678").json.data
            #expect(export["subject"] as? String == "254712345678")
            #expect((export["contacts"] as? [[String: Any]])?.first?["first_name"] as? String == "Jane")
            #expect((export["messages"] as? [[String: Any]])?.first?["body"] as? String == "Hi Jane")
            let erased = try await client.api(.post, "/privacy/erasure", json: ["phone": "+254712345678"])
            #expect(erased.status == .ok)
            #expect(erased.json.data["contacts"] as? Int == 1 && erased.json.data["messages"] as? Int == 1)
            let shown = try await client.api(.get, "/sms/\(id)").json.data
            #expect(shown["recipient"] as? String == "[erased]" && shown["status"] as? String == "delivered")
            let empty = try await client.api(.get, "/privacy/export?phone=0712345678").json.data
            #expect((empty["messages"] as? [Any])?.isEmpty == true && (empty["contacts"] as? [Any])?.isEmpty == true)
            let both = try await client.api(.post, "/privacy/erasure", json: ["phone": "0712345678", "email": "a@b.co"])
            #expect(both.status == .unprocessableContent && both.json["code"] as? String == "validation_failed")
            let neither = try await client.api(.get, "/privacy/export")
            #expect(neither.status == .unprocessableContent && neither.json.errors["phone"] != nil)
        }
    }
}
