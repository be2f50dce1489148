import PropertyBased
import Testing

@testable import WLDomain

/// HTML-to-text and link tracking over well-formed, random and degenerate HTML: the results are right and every
/// input is read in one pass (the timing itself is `wlcomm-bench html`'s; these tests assert what comes out).
@Suite struct HTMLScannerTests {
    /// Bodies of about 200,000 characters that made the old regular expressions quadratic.
    static let degenerate: [(name: String, html: String, text: String)] = [
        ("unclosed links", String(repeating: #"<a href="x">"#, count: 16_000), ""),
        ("unclosed head", "<head" + String(repeating: " x", count: 100_000), "<head" + String(repeating: " x", count: 100_000)),
        ("unclosed script", "<p>Hi</p><script>" + String(repeating: "a<b>", count: 50_000), "Hi"),
        ("deep nesting", String(repeating: "<div>", count: 20_000) + "deep" + String(repeating: "</div>", count: 20_000), "deep"),
        ("href without end", String(repeating: "<a href=", count: 25_000), String(repeating: "<a href=", count: 25_000)),
        ("unclosed comments", "Hi" + String(repeating: "<!--", count: 50_000), "Hi"),
    ]

    @Test(arguments: degenerate.map(\.name))
    func degenerateBodiesConvertCorrectly(name: String) {
        let body = Self.degenerate.first { $0.name == name }!
        #expect(body.html.utf8.count >= 160_000)
        #expect(HTMLText.text(fromHTML: body.html) == body.text)
    }

    @Test func theFirst200LinksAreTrackedAndTheRestSentAsTheyAre() {
        let long = "https://l.example/" + String(repeating: "p", count: 2_100)
        let html = #"<a href="\#(long)">"# + String(repeating: #"<a href="https://x.example/p">"#, count: 6_000)
        let signer = TrackingSigner(secret: "s")
        let tracked = TrackableHTML(html).render(messageID: 9, signer: signer, baseURL: "https://wl.example")
        #expect(tracked.components(separatedBy: "https://wl.example/t/c/").count - 1 == 200)
        #expect(tracked.components(separatedBy: "https://x.example/p").count - 1 == 5_800)
        #expect(tracked.hasPrefix(#"<a href="\#(long)">"#))
        #expect(tracked.hasSuffix(#"style="display:none">"#))
    }

    @Test func linksInAnyTagAndQuoteAreTrackedAndOthersKept() {
        let html = #"<A HREF=HTTPS://u.example/a>x</A><link href='http://s.example/c'><a href="ftp://f.example">f</a><p>href="http://no.example"</p>"#
        let signer = TrackingSigner(secret: "s")
        let tracked = TrackableHTML(html).render(messageID: 1, signer: signer, baseURL: "https://wl.example")
        #expect(!tracked.contains("u.example") && !tracked.contains("s.example"))
        #expect(tracked.contains(#"href="ftp://f.example""#))
        #expect(tracked.contains(#"<p>href="http://no.example"</p>"#))
    }

    @Test func pixelGoesBeforeTheLastBodyEnd() {
        let tracked = TrackableHTML("<body>a</body>b</BODY>").render(messageID: 1, signer: TrackingSigner(secret: "s"), baseURL: "h")
        #expect(tracked.hasPrefix("<body>a</body>b<img src=\"h/t/o/"))
        #expect(tracked.hasSuffix("</BODY>"))
    }

    @Test func textKeepsWordsDropsMarkupAndShowsLinks() {
        let html = "<!DOCTYPE html><p>One <b>two</b></p><!-- hidden --><a href='https://l.example'>link</a><br/>2 < 3 &amp; 5 > 4"
        #expect(HTMLText.text(fromHTML: html) == "One two\nlink (https://l.example)\n2 < 3 & 5 > 4")
    }

    /// The pieces generated documents are made of, with what each shows as text.
    static let pieces: [(html: String, words: [String])] = [
        ("alpha ", ["alpha"]), ("beta\n", ["beta"]), ("<p>", []), ("</p>", []), ("<div class=\"x\">", []), ("</div>", []), ("<br>", []),
        ("<b>", []), ("</b>", []), (#"<a href="https://k.example/q">go</a> "#, ["go", "(https://k.example/q)"]),
        ("<script>SECRET</script>", []), ("<style>p{SECRET}</style>", []), ("<!-- SECRET -->", []), ("&amp; ", ["&"]),
        ("<li>item</li>", ["-", "item"]),
    ]

    @Test func generatedDocumentsShowTheirWordsInOrderAndNothingHidden() async {
        await propertyCheck(input: Gen.int(in: 0...(Self.pieces.count - 1)).array(of: 0...60)) { picks in
            let html = picks.map { Self.pieces[$0].html }.joined()
            let words = picks.flatMap { Self.pieces[$0].words }
            let text = HTMLText.text(fromHTML: html)
            #expect(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) == words)
            #expect(!text.contains("SECRET") && !text.contains("<") && !text.contains("\n\n\n"))
        }
    }

    @Test func trackingChangesNothingButLinksAndThePixel() async {
        let alphabet = Array(#"<>/ahrefbodyscript="'!- x"#)
        await propertyCheck(input: Gen.element(of: alphabet).map { $0! }.array(of: 0...300)) { characters in
            let html = String(characters)
            let tracked = TrackableHTML(html).render(messageID: 3, signer: TrackingSigner(secret: "s"), baseURL: "B")
            let pixel = try #require(tracked.range(of: #"<img src="B/t/o/"#))
            let pixelEnd = try #require(tracked.range(of: #"style="display:none">"#, range: pixel.upperBound..<tracked.endIndex))
            #expect(String(tracked[..<pixel.lowerBound] + tracked[pixelEnd.upperBound...]) == html)
            _ = HTMLText.text(fromHTML: html)
        }
    }

    @Test func escapedTextIsNeverHTML() async {
        await propertyCheck(input: Gen.element(of: Array("<>/abp =\"'&!")).map { $0! }.array(of: 0...80)) { characters in
            #expect(!HTMLText.isHTML(HTMLText.escape(String(characters))))
        }
    }
}
