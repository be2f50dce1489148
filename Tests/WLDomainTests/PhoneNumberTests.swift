import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct PhoneNumberTests {
    @Test(arguments: [
        "254712345678", "0712345678", "712345678", "+254712345678", "+254 712 345 678", "0712-345-678",
    ])
    func everyAcceptedFormNormalisesTo254(raw: String) {
        #expect(PhoneNumber(raw)?.e164Digits == "254712345678")
    }

    @Test(arguments: ["0110123456", "0100123456", "254115123456", "+254102000000", "110123456"])
    func the01RangeIsAccepted(raw: String) {
        #expect(PhoneNumber(raw) != nil)
    }

    @Test(arguments: [
        "", "12345", "0812345678", "0103123456", "0116123456", "+255712345678", "25471234567", "2547123456789",
        "07123456789", "abc", "+", "07l2345678", "٠٧١٢٣٤٥٦٧٨",
    ])
    func othersAreRefused(raw: String) {
        #expect(PhoneNumber(raw) == nil)
    }

    @Test func anySubscriberNumberNormalisesTheSameInEveryForm() async {
        await propertyCheck(input: Gen.int(in: 700_000_000...799_999_999)) { subscriber in
            let digits = String(subscriber)
            let forms = ["254" + digits, "0" + digits, digits, "+254" + digits, "+254 " + digits.prefix(3) + " " + digits.dropFirst(3)]
            let normalised = Set(forms.compactMap { PhoneNumber($0)?.e164Digits })
            #expect(normalised == ["254" + digits])
            #expect(PhoneNumber(digits)?.plusForm == "+254" + digits)
        }
    }

    @Test func bytesReadAsTheCharacterRulesDo() async {
        // A prefix, a body and one stray piece at some place: mostly numbers and near misses, not noise.
        let prefixes = ["", "+", "+254", "254", "0", "9", "+0", "2540", "++254"]
        let bodies = ["712345678", "110123456", "102000000", "103123456", "116123456", "71234567", "7123456789", ""]
        let strays = ["", " ", "-", "+", "a", "\u{301}", "٠", "\r\n", "7"]
        await propertyCheck(
            input: Gen.element(of: prefixes).map { $0! }, Gen.element(of: bodies).map { $0! }, Gen.element(of: strays).map { $0! },
            Gen.int(in: 0...12)
        ) { prefix, body, stray, place in
            var raw = prefix + body
            raw.insert(contentsOf: stray, at: raw.index(raw.startIndex, offsetBy: min(place, raw.count)))
            #expect(PhoneNumber(raw)?.e164Digits == characterReading(raw), "\(raw.debugDescription)")
        }
    }

    @Test func normalisationIsIdempotent() async {
        // Every mobile subscriber number: 7xx xxx xxx, or 100–102 and 110–115 then six digits.
        let prefixes = [100, 101, 102, 110, 111, 112, 113, 114, 115]
        await propertyCheck(input: Gen.int(in: 0...(100_000_000 + prefixes.count * 1_000_000 - 1))) { pick in
            let subscriber =
                pick < 100_000_000 ? 700_000_000 + pick : prefixes[(pick - 100_000_000) / 1_000_000] * 1_000_000 + pick % 1_000_000
            let number = PhoneNumber(String(subscriber))
            #expect(number != nil, "\(subscriber)")
            if let number { #expect(PhoneNumber(number.e164Digits) == number) }
        }
    }
}

/// The rules as first written, over Characters: the reference the byte reading must agree with.
private func characterReading(_ raw: String) -> String? {
    var text = raw.filter { $0 != " " && $0 != "-" }
    if text.hasPrefix("+") {
        text.removeFirst()
        guard text.hasPrefix("254") else { return nil }
    }
    guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    let subscriber: Substring
    switch text.count {
    case 12 where text.hasPrefix("254"): subscriber = text.dropFirst(3)
    case 10 where text.hasPrefix("0"): subscriber = text.dropFirst()
    case 9: subscriber = Substring(text)
    default: return nil
    }
    guard subscriber.count == 9 else { return nil }
    let mobile = subscriber.hasPrefix("7") || ["100", "101", "102", "110", "111", "112", "113", "114", "115"].contains(subscriber.prefix(3))
    return mobile ? "254" + subscriber : nil
}

@Suite struct MobileNetworkTests {
    @Test(arguments: [
        ("0712345678", MobileNetwork.safaricom), ("0110123456", .safaricom), ("0733123456", .airtel), ("0755123456", .airtel),
        ("0100123456", .airtel), ("0771123456", .telkom), ("0764123456", .equitel), ("0757123456", .safaricom),
    ])
    func prefixesMapToTheirNetwork(number: String, network: MobileNetwork) throws {
        #expect(MobileNetwork(prefixOf: try #require(PhoneNumber(number))) == network)
    }

    @Test func networkCodesMap() {
        #expect(MobileNetwork(networkCode: "63903") == .airtel)
        #expect(MobileNetwork(networkCode: "99999") == nil)
    }

    @Test func firmTimeShowsTheOffset() {
        #expect(FirmTime.format(Date(timeIntervalSince1970: 1_781_100_300), timezone: "Africa/Nairobi") == "2026-06-10T17:05:00+03:00")
    }
}
