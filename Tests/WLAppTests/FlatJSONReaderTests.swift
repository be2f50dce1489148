import Foundation
import Hummingbird
import PropertyBased
import Synchronization
import Testing
import WLDomain

@testable import WLHTTP
@testable import WLServices

/// `POST /sms` bodies of plain values are read by ``FlatJSONReader``, not `JSONDecoder`; whenever it reads one, the
/// request is the one `JSONDecoder` gives, and what it does not read goes to `JSONDecoder` (and its errors).
@Suite struct FlatJSONReaderTests {
    @Test func theContractsBodyIsReadWithoutTheDecoder() throws {
        let body = #"{"message": "Hello {name}\nPay by 5 pm", "recipients": ["0712345678", "+254 733 123456"], "send_at": null}"#
        let request = try #require(flat(body))
        #expect(request.message == "Hello {name}\nPay by 5 pm")
        #expect(request.recipients == ["0712345678", "+254 733 123456"])
        #expect(request.sendAt == nil && request.reference == nil && request.category == nil)
        #expect(try same(body))
    }

    @Test func escapesAreDecodedAsTheDecoderDecodesThem() throws {
        let body = #"{"message":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t","reference":"\u20ACx"}"#
        #expect(try #require(flat(body)).message == "café 😀 \"q\" \\ / \u{8}\u{c}\n\r\t")
        #expect(try same(body))
    }

    @Test(arguments: [
        #"{"message":"a","recipients":["1"],"extra":"x"}"#,  // an unknown field: the decoder's error names it
        #"{"message":"a","message":"b"}"#,  // a field given twice
        #"{"message":5}"#, #"{"message":true}"#, #"{"recipients":[{"to":"0712345678"}]}"#, #"{"recipients":"0712345678"}"#,
        #"{"message":"a"} x"#, #"{"message":"a",}"#, #"{"message":"a""#, #"["a"]"#, "\u{FEFF}{}",
        "{\"message\":\"a\u{1}\"}",  // a raw control character
        #"{"message":"\ud83d"}"#, #"{"message":"\ude00"}"#, #"{"message":"\x"}"#, #"{"message":"\u12"}"#,
    ])
    func bodiesOfAnyOtherShapeAreLeftToTheDecoder(_ body: String) throws {
        #expect(flat(body) == nil)
    }

    @Test func aKeyRepeatedAfterManyOthersIsFound() throws {
        let keys = (0..<20_000).map { #""k\#($0)":null"# }
        let body = "{" + (keys + [#""k7":null"#]).joined(separator: ",") + "}"
        #expect(Array(body.utf8).withUnsafeBytes { FlatJSONReader.fields($0) } == nil)
        let read = try #require(Array(("{" + keys.joined(separator: ",") + "}").utf8).withUnsafeBytes { FlatJSONReader.fields($0) })
        #expect(read.count == 20_000 && read.last?.key == "k19999" && read.last?.value == .null)
    }

    @Test func invalidUTF8IsNotRead() {
        let bytes: [UInt8] = Array(#"{"message":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(bytes.withUnsafeBytes { FlatJSONReader.fields($0) } == nil)
        #expect((try? JSONDecoder().decode(SMSRequest.self, from: Data(bytes))) == nil)
    }

    @Test func anyBodyTheReaderReadsTheDecoderReadsTheSame() async {
        let alphabet = Array("a0 +{}\"\\/\u{1}\u{9}\u{a}é€中😀\u{2028}")
        let texts = Gen.element(of: alphabet).map { $0! }.array(of: 0...6).map { String($0) }.array(of: 1...5)
        let choices = Gen<Int>.value(in: 0...1_000_000).array(of: 400...400)
        let reads = Mutex(0)
        await propertyCheck(count: 400, input: texts, choices) { texts, choices in
            var random = Choices(values: choices)
            let body = Self.body(texts: texts, random: &random)
            let decoded = try? JSONDecoder().decode(SMSRequest.self, from: Data(body.utf8))
            guard let read = flat(body) else {
                // Plain bodies, with nothing the reader leaves to the decoder, are always read.
                #expect(!random.plain, "not read: \(body)")
                return
            }
            reads.withLock { $0 += 1 }
            let expected = try #require(decoded, "read, but the decoder refuses: \(body)")
            #expect(Fields(read) == Fields(expected), "\(body)")
        }
        #expect(reads.withLock { $0 } >= 120, "too few bodies were plain for the check to mean much")
    }

    @Test func blankIsWhatTrimmingLeavesEmpty() {
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "\(scalar)\(scalar)"
            #expect(SMSRequest.isBlank(text) == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "U+\(String(value, radix: 16))")
        }
        #expect(SMSRequest.isBlank("") && SMSRequest.isBlank(" \n\t\u{3000}") && !SMSRequest.isBlank(" a "))
    }

    @Test func nulIsFoundAsAByteOrAsItsEscape() {
        for (text, expected) in [("abc", false), ("a\0b", true), (#"a\u0000"#, true), (#"\u0001\u000"#, false), (#"\"#, false)] {
            #expect(Array(text.utf8).withUnsafeBytes { Request.hasNUL($0) } == expected, "\(text)")
        }
        // An escaped backslash followed by the text `u0000` is no NUL; an odd run of backslashes ends in an escape.
        for (text, expected) in [(#"a\\u0000"#, false), (#"\\\u0000"#, true), (#"\\\\u0000"#, false), (#"\\ \u0000"#, true)] {
            #expect(Array(text.utf8).withUnsafeBytes { Request.hasNUL($0) } == expected, "\(text)")
        }
        for (target, expected) in [("/sms?a=%00", true), ("/sms?a=%0", false), ("/sms%2500", false), ("/sms\0", true), ("%%00", true)] {
            #expect(RequestLimitsMiddleware.hasNUL(target) == expected, "\(target)")
        }
    }

    // MARK: - Helpers

    private func flat(_ body: String) -> SMSRequest? {
        Array(body.utf8).withUnsafeBytes { FlatJSONReader.fields($0) }.flatMap(SMSRequest.init(flatJSON:))
    }

    private func same(_ body: String) throws -> Bool {
        try Fields(#require(flat(body))) == Fields(JSONDecoder().decode(SMSRequest.self, from: Data(body.utf8)))
    }

    /// A random JSON text: mostly bodies of plain values, each written with random escapes and whitespace, sometimes
    /// with something only the decoder reads (or refuses).
    private static func body(texts: [String], random: inout Choices) -> String {
        let keys = ["message", "recipients", "send_at", "reference", "category"]
        var fields: [String] = []
        var used = Set<String>()
        let first = random.next(keys.count)
        for (index, text) in texts.enumerated() {
            var key = random.next(15) == 0 ? keys[random.next(keys.count)] : keys[(first + index) % keys.count]
            if random.next(20) == 0 { key = "mess\\u0061ge" }
            if random.next(30) == 0 { key = "extra" }
            if used.contains(key) || key.hasPrefix("mess\\") && used.contains("message") { random.plain = false }
            used.insert(key.hasPrefix("mess\\") ? "message" : key)
            let value: String
            switch random.next(12) {
            case 0: value = "null"
            case 1:
                value = "12"
                random.plain = false
            case 2:
                value = #"{"to":"0712345678"}"#
                random.plain = false
            default:
                if key == "recipients" {
                    let items = texts[index...].prefix(random.next(3)).map { literal($0, random: &random) }
                    value = "[" + items.joined(separator: space(&random) + "," + space(&random)) + "]"
                } else {
                    value = literal(text, random: &random)
                }
            }
            if key == "extra" { random.plain = false }
            if key != "recipients", value.hasPrefix("[") { random.plain = false }
            fields.append(space(&random) + "\"\(key)\"" + space(&random) + ":" + space(&random) + value + space(&random))
        }
        return space(&random) + "{" + fields.joined(separator: ",") + "}" + space(&random)
    }

    /// `text` as a JSON string, each character raw or escaped at random (the ones JSON requires always escaped).
    private static func literal(_ text: String, random: inout Choices) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            guard mustEscape || random.next(4) == 0 else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\"": out += #"\""#
            case "\\": out += #"\\"#
            case "\n" where random.next(2) == 0: out += #"\n"#
            case "\t" where random.next(2) == 0: out += #"\t"#
            case "/" where random.next(2) == 0: out += #"\/"#
            default:
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + (random.next(2) == 0 ? hex : hex.uppercased())
                }
            }
        }
        return out + "\""
    }

    private static func space(_ random: inout Choices) -> String {
        ["", "", " ", "\n", "\t\r\n "][random.next(5)]
    }

    /// Random choices drawn from a generated list, and whether the body so far is plain.
    private struct Choices {
        var values: [Int]
        var position = 0
        var plain = true

        mutating func next(_ bound: Int) -> Int {
            defer { position += 1 }
            return values[position % values.count] % bound
        }
    }

    /// The fields of a request, to compare two.
    private struct Fields: Equatable {
        var message, sendAt, reference, category: String?
        var recipients: [RecipientEntry]?

        init(_ request: SMSRequest) {
            (message, sendAt, reference, category, recipients) =
                (request.message, request.sendAt, request.reference, request.category, request.recipients)
        }
    }
}
