import Foundation
import Testing
import WLDomain

@Suite struct EmailAddressTests {
    @Test(arguments: [
        ("jane@example.com", "jane@example.com"), ("Jane.Doe+bills@Example.CO.KE", "Jane.Doe+bills@example.co.ke"),
        ("  o'brien@mail-host.example.org ", "o'brien@mail-host.example.org"), ("a!#$%&'*+/=?^_`{|}~-@x.io", "a!#$%&'*+/=?^_`{|}~-@x.io"),
    ])
    func acceptsDotAtomsAndLowerCasesTheDomain(raw: String, normalised: String) {
        #expect(EmailAddress(raw)?.value == normalised)
    }

    @Test(arguments: [
        "", "plain", "@example.com", "jane@", "jane@localhost", "jane@@example.com", ".jane@example.com", "jane.@example.com",
        "ja..ne@example.com", "jane@-example.com", "jane@example-.com", "jane@example.123", "\"quoted\"@example.com",
        "jané@example.com", "jane@exámple.com", "jane doe@example.com", String(repeating: "a", count: 65) + "@example.com",
        "jane@" + String(repeating: "a", count: 64) + ".com", "a@" + String(repeating: "b.", count: 130) + "com",
    ])
    func refusesWhatIsNotAnAddress(raw: String) {
        #expect(EmailAddress(raw) == nil)
    }

    @Test func recipientsCollapseDuplicatesIgnoringCaseAndSkipSuppressedOnes() throws {
        var recipients = try EmailRecipients(["jane@example.com", "JANE@Example.com", "bad@", "otieno@example.com"])
        #expect(recipients.valid.map(\.value) == ["jane@example.com", "otieno@example.com"])
        #expect(
            recipients.skipped == [
                SkippedRecipient(recipient: "JANE@Example.com", reason: .duplicate), SkippedRecipient(recipient: "bad@", reason: .invalidEmail),
            ])
        recipients.suppress(["otieno@example.com"])
        #expect(recipients.valid.map(\.value) == ["jane@example.com"])
        #expect(recipients.skipped.last == SkippedRecipient(recipient: "otieno@example.com", reason: .suppressed))
        let none = #expect(throws: DomainError.self) { try EmailRecipients([]) }
        #expect(none?.code == .validation)
        #expect(none?.fields["recipients"] == ["This field is required: give at least one recipient."])
        let tooMany = #expect(throws: DomainError.self) { try EmailRecipients(Array(repeating: "a@b.co", count: 10_001)) }
        #expect(tooMany?.code == .validation)
        #expect(tooMany?.fields["recipients"] != nil)
    }
}

/// Decodes quoted-printable, for checking the encoder.
func decodeQuotedPrintable(_ text: String) -> String {
    var bytes: [UInt8] = []
    let lines = text.components(separatedBy: "\r\n")
    for (index, line) in lines.enumerated() {
        var characters = Array(line.utf8)
        let soft = characters.last == UInt8(ascii: "=")
        if soft { characters.removeLast() }
        var position = 0
        while position < characters.count {
            if characters[position] == UInt8(ascii: "="), position + 2 < characters.count {
                bytes.append(UInt8(String(decoding: characters[(position + 1)...(position + 2)], as: UTF8.self), radix: 16)!)
                position += 3
            } else {
                bytes.append(characters[position])
                position += 1
            }
        }
        if !soft && index < lines.count - 1 { bytes += [13, 10] }
    }
    return String(decoding: bytes, as: UTF8.self)
}

@Suite struct MIMETests {
    @Test(arguments: [
        "Hello, world", "Jambo — ✓ Malipo ya ankara", "a=b and trailing space ", String(repeating: "long line ", count: 40),
        ".starts with a dot\r\nsecond line\r\n.\r\nend", "tab\tinside\ttext\t",
    ])
    func quotedPrintableRoundTripsWithShortLines(text: String) {
        let encoded = QuotedPrintable.encode(text)
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { !$0.hasPrefix(".") })
        #expect(encoded.utf8.allSatisfy { $0 < 128 })
        #expect(decodeQuotedPrintable(encoded) == text)
    }

    @Test func encodedWordsStayShortAndDecodeBack() {
        #expect(EncodedWord.encode("Payment reminder") == "Payment reminder")
        let subject = String(repeating: "Malipo ya ankara — ✓ ", count: 6)
        let encoded = EncodedWord.encode(subject)
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        let decoded = words.map { word in
            String(decoding: Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!, as: UTF8.self)
        }.joined()
        #expect(decoded == subject)
    }

    /// The Subject header of `subject` as lines, and the subject it unfolds and decodes to.
    func subjectHeader(_ subject: String) -> (lines: [String], decoded: String) {
        let header = "Subject: " + EncodedWord.encode(subject, prefixLength: 9)
        let lines = header.components(separatedBy: "\r\n")
        let unfolded = lines.joined()
        guard unfolded.contains("=?UTF-8?B?") else { return (lines, String(unfolded.dropFirst(9))) }
        let decoded = unfolded.dropFirst(9).components(separatedBy: " ").map { word in
            String(decoding: Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data(), as: UTF8.self)
        }.joined()
        return (lines, decoded)
    }

    @Test func aLongPlainSubjectIsFoldedAtSpacesWithinTheLineLimit() {
        let subject = String(String(repeating: "Invoice 2026-11 for services rendered ", count: 30).prefix(998))
        let (lines, decoded) = subjectHeader(subject)
        #expect(lines.count > 10)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(decoded == subject)
    }

    @Test func aLongSubjectWithoutSpacesOrNotInASCIIIsEncodedWithinTheLineLimit() {
        for subject in [String(repeating: "x", count: 998), String(repeating: "Malipo — ✓ ", count: 60)] {
            let (lines, decoded) = subjectHeader(subject)
            #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(lines.map(\.count).max() ?? 0)")
            #expect(decoded == subject)
        }
        #expect(subjectHeader("Payment reminder").lines == ["Subject: Payment reminder"])
    }

    @Test func theMessageHasTheHeadersAndBothParts() throws {
        let from = Mailbox(address: try #require(EmailAddress("billing@acme.example")), name: "Acme \"Ltd\"")
        let email = OutgoingEmail(
            messageID: 7, from: from, replyTo: EmailAddress("accounts@acme.example"), to: try #require(EmailAddress("jane@example.com")),
            subject: "Ankara ✓", text: "Hello", html: "<p>Hello</p>", date: Date(timeIntervalSince1970: 1_780_000_000), random: 42)
        let (head, body) = try #require(email.data.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init).splitPair())
        #expect(head.contains("Date: Thu, 28 May 2026 20:26:40 +0000"))
        #expect(head.contains("Message-ID: <wl.7.16@acme.example>"))
        #expect(head.contains(#"From: "Acme \"Ltd\"" <billing@acme.example>"#))
        #expect(head.contains("To: jane@example.com"))
        #expect(head.contains("Reply-To: accounts@acme.example"))
        #expect(head.contains("Subject: =?UTF-8?B?"))
        #expect(head.contains("MIME-Version: 1.0"))
        #expect(head.contains("List-Unsubscribe: <mailto:accounts@acme.example?subject=unsubscribe>"))
        #expect(head.contains("Content-Type: multipart/alternative;"))
        #expect(body.components(separatedBy: "Content-Type: text/plain; charset=utf-8").count == 2)
        #expect(body.components(separatedBy: "Content-Type: text/html; charset=utf-8").count == 2)
        #expect(email.data.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
    }

    @Test func theUnsubscribeAddressIsEscapedInItsMailtoURI() throws {
        let reply = try #require(EmailAddress("a?b#c%d@acme.example"))
        let email = OutgoingEmail(
            messageID: 7, from: Mailbox(address: try #require(EmailAddress("billing@acme.example"))), replyTo: reply,
            to: try #require(EmailAddress("jane@example.com")), subject: "Hi", text: "Hello", html: "<p>Hello</p>", date: Date(), random: 1)
        #expect(email.data.contains("List-Unsubscribe: <mailto:a%3Fb%23c%25d@acme.example?subject=unsubscribe>"))
    }
}

extension Array where Element == String {
    /// The first two elements.
    func splitPair() -> (String, String)? { count == 2 ? (self[0], self[1]) : nil }
}

@Suite struct HTMLTextTests {
    @Test func tellsHTMLFromText() {
        #expect(HTMLText.isHTML("<p>Hi</p>"))
        #expect(HTMLText.isHTML("Hi<br>there"))
        #expect(HTMLText.isHTML(#"Click <a href="https://x.example">here</a>"#))
        #expect(!HTMLText.isHTML("2 < 3 and 5 > 4"))
        #expect(!HTMLText.isHTML("Plain text"))
    }

    @Test func escapesAndRendersText() {
        #expect(HTMLText.escape(#"O'Brien & <Sons> "Ltd""#) == "O&#39;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;")
        let html =
            #"<html><head><style>p{}</style></head><body><p>Hello&nbsp;Jane,</p><p>Pay <a href="https://pay.example/x?a=1&amp;b=2">here</a>.</p><ul><li>One</li><li>Two &amp; three</li></ul></body></html>"#
        #expect(HTMLText.text(fromHTML: html) == "Hello Jane,\nPay here (https://pay.example/x?a=1&b=2).\n- One\n- Two & three")
        #expect(HTMLText.html(fromText: "a < b\nsecond") == "a &lt; b<br>\r\nsecond")
        // A web form's CR LF is one line break, not a blank line; a lone CR and an empty line still count.
        #expect(HTMLText.html(fromText: "a\r\nb\rc\n\nd") == "a<br>\r\nb<br>\r\nc<br>\r\n<br>\r\nd")
    }
}

@Suite struct TrackingTests {
    let signer = TrackingSigner(secret: "test-secret")

    @Test func tokensRoundTripAndRefuseAnyChange() {
        let click = TrackingEvent.click(messageID: 12, url: "https://pay.example/x?a=1&b=2")
        let token = signer.token(for: click)
        #expect(signer.event(from: token) == click)
        #expect(signer.event(from: signer.token(for: .open(messageID: 12))) == .open(messageID: 12))
        #expect(TrackingSigner(secret: "other").event(from: token) == nil)
        for index in token.indices where token[index] != "." {
            var altered = token
            altered.replaceSubrange(index...index, with: token[index] == "A" ? "B" : "A")
            #expect(signer.event(from: altered) == nil, "changed at \(token.distance(from: token.startIndex, to: index))")
        }
        #expect(signer.event(from: "") == nil)
        #expect(signer.event(from: "bzEy") == nil)
    }

    /// The token's payload part is unpadded base64url, whatever the payload's length (so every remainder of three).
    @Test func tokensSpellThePayloadInUnpaddedBase64URL() {
        for length in 0...12 {
            let url = String(repeating: "\u{3FF}?", count: length / 3) + String(repeating: "~", count: length % 3)
            let payload = Data("c.7.\(url)".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let token = signer.token(for: .click(messageID: 7, url: url))
            #expect(token.split(separator: ".").first.map(String.init) == payload, "length \(length)")
            #expect(token.split(separator: ".").last?.count == 22)
            #expect(signer.event(from: token) == .click(messageID: 7, url: url))
        }
    }

    @Test func trackingRewritesEveryWebLinkAndAddsThePixel() throws {
        let html =
            #"<body><a href="https://a.example/1?x=1&amp;y=2">A</a> <a href='http://b.example'>B</a> <a href="mailto:x@y.example">M</a></body>"#
        let tracked = signer.track(html: html, messageID: 5, baseURL: "https://wl.example/")
        #expect(!tracked.contains("https://a.example"))
        #expect(!tracked.contains("http://b.example"))
        #expect(tracked.contains(#"href="mailto:x@y.example""#))
        let tokens = tracked.components(separatedBy: "https://wl.example/t/c/").dropFirst().map { String($0.prefix { $0 != "\"" && $0 != "'" }) }
        #expect(
            tokens.compactMap { signer.event(from: $0) } == [
                .click(messageID: 5, url: "https://a.example/1?x=1&y=2"), .click(messageID: 5, url: "http://b.example"),
            ])
        #expect(tracked.contains("https://wl.example/t/o/\(signer.token(for: .open(messageID: 5))).gif"))
        #expect(tracked.hasSuffix("</body>"))
    }
}
