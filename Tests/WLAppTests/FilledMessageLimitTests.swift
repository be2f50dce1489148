import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing
import WLDomain
import WLServices

/// What one request may make of its placeholders and characters: no SMS longer than 1,600 characters once filled,
/// no quote line listing more than 20 non-GSM characters, no webhook URL over 2,048 bytes.
@Suite struct FilledMessageLimitTests {
    /// `{v}` four times, filled with `value`.
    func filled(_ path: String, _ value: String, _ client: some TestClientProtocol) async throws -> (status: HTTPResponse.Status, json: [String: Any])
    {
        try await client.api(.post, path, json: ["message": "{v}{v}{v}{v}", "recipients": [["to": "254712345678", "variables": ["v": value]]]])
    }

    @Test func anSMSMayBe1600CharactersOnceFilledAndNoMore() async throws {
        try await TestApp().test { client in
            for path in ["/sms", "/sms/quote"] {
                let longest = try await filled(path, String(repeating: "a", count: 400), client)
                #expect(longest.status == (path == "/sms" ? .accepted : .ok))
                let over = try await filled(path, String(repeating: "a", count: 401), client)
                #expect(over.status == .unprocessableContent && over.json["code"] as? String == "validation_failed")
                #expect(over.json.errors["message"] == ["At most 1600 characters once placeholders are filled."])
                // Characters, not bytes: 400 four-byte characters are within it.
                let emoji = try await filled(path, String(repeating: "😀", count: 400), client)
                #expect(emoji.status == (path == "/sms" ? .accepted : .ok))
            }
        }
    }

    @Test func aQuoteLineListsTheFirst20CharactersThatMakeItUCS2() async throws {
        try await TestApp().test { client in
            let text = String((0..<30).map { Character(UnicodeScalar(0x4E00 + $0)!) })
            let quote = try await client.api(.post, "/sms/quote", json: ["message": text, "recipients": ["254712345678"]])
            let line = try #require((quote.json.data["recipients"] as? [[String: Any]])?.first)
            #expect(line["encoding"] as? String == "UCS-2")
            #expect(line["non_gsm_characters"] as? [String] == Array(text.prefix(20)).map(String.init))
        }
    }

    /// One letter and 2,000 combining accents is one character to Swift but 4 KB of UTF-8: limits count code points,
    /// so a field cannot carry an unbounded number of bytes as one "character" (stored once per recipient).
    @Test func lengthLimitsCountCodePointsSoOneCharacterCannotCarryUnboundedBytes() async throws {
        let heavy = "e" + String(repeating: "\u{301}", count: 2_000)
        try await TestApp().test { client in
            let sms = try await client.api(.post, "/sms", json: ["message": heavy, "recipients": ["254712345678"]])
            #expect(sms.status == .unprocessableContent && sms.json.errors["message"] == ["At most 1000 characters; this one has 2001."])
            let reference = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"], "reference": heavy])
            #expect(reference.status == .unprocessableContent && reference.json.errors["reference"] != nil)
            let subject = try await client.api(.post, "/email", json: ["subject": heavy, "message": "Hi", "recipients": ["a@example.com"]])
            #expect(subject.status == .unprocessableContent && subject.json.errors["subject"] != nil)
            let variable = try await client.api(
                .post, "/sms", json: ["message": "{v}", "recipients": [["to": "254712345678", "variables": ["v": heavy]]]])
            #expect(variable.status == .unprocessableContent && variable.json["code"] as? String == "validation_failed")
            let contact = try await client.api(
                .put, "/contacts", json: ["contacts": [["phone": "254712345678", "first_name": heavy, "consent_source": heavy]]])
            #expect(contact.status == .unprocessableContent)
            #expect(contact.json.errors["contacts[0].first_name"] != nil && contact.json.errors["contacts[0].consent_source"] != nil)
            // A quote lists a character's first 8 code points only.
            let quote = try await client.api(
                .post, "/sms/quote", json: ["message": "Hi \u{0416}" + String(repeating: "\u{301}", count: 900), "recipients": ["254712345678"]])
            let line = try #require((quote.json.data["recipients"] as? [[String: Any]])?.first)
            #expect((line["non_gsm_characters"] as? [String])?.map(\.unicodeScalars.count) == [8])
        }
    }

    @Test func aCSVCellIsCountedInCodePointsToo() throws {
        let heavy = "e" + String(repeating: "\u{301}", count: 200)
        let parsed = try ContactCSV.parse("first_name,phone\n\(heavy),0712345678\nAmina,0712345679\n")
        #expect(parsed.contacts.count == 1)
        #expect(parsed.errors.map(\.message) == ["first_name is longer than 100 characters"])
    }

    @Test func anEmailSubjectFilledWithALineBreakOrTooLongIsRefused() async throws {
        try await TestApp().test { client in
            // A variable's value is at most 500 characters: two of them fill 999.
            for (v, w) in [("two\nlines", "x"), (String(repeating: "a", count: 500), String(repeating: "b", count: 499))] {
                let (status, json) = try await client.api(
                    .post, "/email",
                    json: ["subject": "{v}{w}", "message": "Hi", "recipients": [["to": "a@example.com", "variables": ["v": v, "w": w]]]])
                #expect(status == .unprocessableContent && json["code"] as? String == "validation_failed")
                #expect(json.errors["subject"] == ["At most 998 characters and no line break once placeholders are filled."])
            }
            let fine = try await client.api(
                .post, "/email", json: ["subject": "{v}", "message": "Hi", "recipients": [["to": "a@example.com", "variables": ["v": "Invoice 7"]]]])
            #expect(fine.status == .accepted)
        }
    }

    @Test func aWebhookURLIsAtMost2048Bytes() async throws {
        let app = TestApp()
        try await app.admin { admin, store in
            _ = try await SandboxSeeder(store: store, time: SystemTimeSource()).seed()
            let base = "https://hooks.example.com/"
            try await admin.setWebhook(firm: "sandbox", url: base + String(repeating: "a", count: 2_048 - base.utf8.count), secret: nil)
            let error = await #expect(throws: DomainError.self) {
                try await admin.setWebhook(firm: "sandbox", url: base + String(repeating: "a", count: 2_049 - base.utf8.count), secret: nil)
            }
            #expect(error?.code == .validation && error?.fields["url"] == ["at most 2048 bytes"])
        }
    }

    @Test func aWebhookURLCarriesNoUserNameOrPassword() async throws {
        let app = TestApp()
        try await app.admin { admin, store in
            _ = try await SandboxSeeder(store: store, time: SystemTimeSource()).seed()
            for url in ["https://user:secret@hooks.example.com/wl", "https://user@hooks.example.com/wl"] {
                let error = await #expect(throws: DomainError.self) { try await admin.setWebhook(firm: "sandbox", url: url, secret: nil) }
                #expect(error?.code == .validation && error?.fields["url"] == ["no user name or password"])
            }
        }
    }

    @Test func aHostsCheckedAddressesAreKeptAndARefusedHostIsNot() async throws {
        let lookups = Mutex<[String]>([])
        let cache = CheckedAddressCache { host in
            lookups.withLock { $0.append(host) }
            guard host == "hooks.example.com" else { throw WebhookAddressError(reason: "\(host) is refused") }
            return ["93.184.215.14"]
        }
        for _ in 0..<2 {
            #expect(try await cache.addresses(of: "hooks.example.com") == ["93.184.215.14"])
            let refused = await #expect(throws: WebhookAddressError.self) { try await cache.addresses(of: "internal.example") }
            #expect(refused?.reason == "internal.example is refused")
        }
        #expect(lookups.withLock { $0 } == ["hooks.example.com", "internal.example", "internal.example"])
        // The real check behind the default lookup.
        let refused = await #expect(throws: WebhookAddressError.self) { try await CheckedAddressCache().addresses(of: "127.0.0.1") }
        #expect(refused?.reason == "127.0.0.1 is a loopback address; webhooks go to public addresses only")
    }
}
