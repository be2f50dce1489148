import Foundation
import Testing
import WLDomain

/// Inputs the fuzz targets (Fuzz/, scripts/fuzz.sh) found to break a parser's documented behaviour.
@Suite struct FuzzRegressionTests {
    /// MIMEFuzz: a CRLF followed by a combining mark was encoded as two line breaks.
    @Test func quotedPrintableKeepsOneBreakForACRLFBeforeACombiningMark() {
        #expect(QuotedPrintable.encode("ct\r\n\u{310}c.m") == "ct\r\n=CC=90c.m")
        #expect(QuotedPrintable.encode("a\r\u{301}b\n\u{301}") == "a\r\n=CC=81b\r\n=CC=81")
    }

    /// MIMEFuzz: a character longer than an encoded word (a letter under 40 combining marks) made a 120-byte line.
    @Test func encodedWordSplitsAnOverlongCharacterBetweenItsScalars() throws {
        let name = "e" + String(repeating: "\u{301}", count: 40)
        let header = EncodedWord.encode(name, prefixLength: "Subject: ".count)
        let lines = header.components(separatedBy: "\r\n")
        #expect(lines.count == 2)
        #expect("Subject: ".count + lines[0].utf8.count <= 76)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" =?UTF-8?B?") && $0.utf8.count <= 76 })
        let decoded = try lines.map { line in
            let word = line.trimmingCharacters(in: .whitespaces).dropFirst("=?UTF-8?B?".count).dropLast(2)
            return try #require(Data(base64Encoded: String(word)))
        }
        #expect(String(decoding: decoded.reduce(Data(), +), as: UTF8.self) == name)
    }
}
