import Testing
import WLDomain

@Suite struct APIKeyTests {
    @Test func liveKeysAreWlCommWith40Base62Characters() {
        let key = APIKey.generate(mode: .live)
        #expect(key.secret.hasPrefix("wl_comm_"))
        let random = key.secret.dropFirst("wl_comm_".count)
        #expect(random.count == 40)
        #expect(random.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(!key.isTest)
    }

    @Test func sandboxFirmsGetTestKeys() {
        #expect(APIKey.generate(mode: .sandbox).secret.hasPrefix("wl_test_"))
    }

    @Test func generatedKeysDiffer() {
        let keys = Set((0..<1000).map { _ in APIKey.generate(mode: .live).secret })
        #expect(keys.count == 1000)
    }

    @Test func hashIsLowerHexSHA256() {
        #expect(APIKey("wl_test_communication_sms_sandbox")?.hash == "9ed841008af2832d5678b50ad51bc02e161d5e415b1dd462ef729280cee1008f")
    }

    @Test func descriptionNeverShowsTheSecret() {
        let key = APIKey.generate(mode: .live)
        #expect(!"\(key)".contains(key.secret))
        #expect(key.displayPrefix.count == 12)
        #expect(key.secret.hasPrefix(key.displayPrefix))
    }

    @Test(arguments: ["", "wl_comm_", "sk_live_abc", "wl_comm_abc def", "wl_comm_é", String(repeating: "a", count: 200)])
    func malformedKeysAreRefused(secret: String) {
        #expect(APIKey(secret) == nil)
    }

    @Test func xAPIKeyWinsOverBearer() {
        let key = APIKey.fromHeaders(apiKey: "wl_comm_first", authorization: "Bearer wl_comm_second")
        #expect(key?.secret == "wl_comm_first")
        #expect(APIKey.fromHeaders(apiKey: "not-a-key", authorization: "Bearer wl_comm_second") == nil, "a malformed X-API-Key is not passed over")
    }

    @Test(arguments: ["", "  ", "\t"])
    func anEmptyXAPIKeyCountsAsAbsent(header: String) {
        #expect(APIKey.fromHeaders(apiKey: header, authorization: "Bearer wl_comm_second")?.secret == "wl_comm_second")
        #expect(APIKey.fromHeaders(apiKey: header, authorization: nil) == nil)
    }

    @Test(
        arguments: [
            ("Bearer wl_comm_abc", "wl_comm_abc"), ("bearer wl_comm_abc", "wl_comm_abc"), ("Basic wl_comm_abc", nil),
            ("Bearer", nil), ("wl_comm_abc", nil),
        ] as [(String, String?)])
    func bearerHeaderIsParsed(header: String, expected: String?) {
        #expect(APIKey.fromHeaders(apiKey: nil, authorization: header)?.secret == expected)
    }
}

@Suite struct WebhookSignatureTests {
    let body = Array(#"{"a":1}"#.utf8)

    @Test func theContractSignatureIsHexHMACOfTheBody() {
        #expect(WebhookSignature.contract(body: body, secret: "secret") == "sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494")
    }

    @Test func theStandardSignatureCoversIdTimestampAndBody() {
        #expect(
            WebhookSignature.standard(id: "msg_1", timestamp: 1_700_000_000, body: body, secret: "secret")
                == "v1,Q5nZ7DiOGwijBBqvBVAK6c0zDr2JLkXI7TaV4f+Q2vY=")
        #expect(WebhookSignature.standardSecret("secret") == "whsec_c2VjcmV0")
    }

    @Test func bothSignaturesAtOnceEqualEachMadeAlone() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let body = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let secret = String((0..<Int.random(in: 1...64, using: &generator)).map { _ in "aZ9_-é😀".randomElement(using: &generator)! })
            let id = "evt_\(UInt64.random(in: 0...UInt64.max, using: &generator))"
            let timestamp = Int64.random(in: 0...4_000_000_000, using: &generator)
            let both = WebhookSignature.both(id: id, timestamp: timestamp, body: body, secret: secret)
            #expect(both.contract == WebhookSignature.contract(body: body, secret: secret))
            #expect(both.standard == WebhookSignature.standard(id: id, timestamp: timestamp, body: body, secret: secret))
        }
    }
}
