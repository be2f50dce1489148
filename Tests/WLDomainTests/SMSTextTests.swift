import PropertyBased
import Testing
import WLDomain

@Suite struct SMSTextTests {
    @Test(arguments: [
        (0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4),
    ])
    func gsmSegmentBoundaries(length: Int, segments: Int) {
        let text = SMSText(String(repeating: "a", count: length))
        #expect(text.encoding == .gsm7)
        #expect(text.segments == segments)
    }

    @Test(arguments: [(70, 1), (71, 2), (134, 2), (135, 3)])
    func ucs2SegmentBoundaries(length: Int, segments: Int) {
        let text = SMSText("é" + String(repeating: "ж", count: length - 1))
        #expect(text.encoding == .ucs2)
        #expect(text.units == length)
        #expect(text.segments == segments)
    }

    @Test func extensionCharactersCountTwo() {
        let text = SMSText(String(repeating: "€", count: 80))
        #expect(text.encoding == .gsm7)
        #expect(text.units == 160)
        #expect(text.segments == 1)
        #expect(SMSText(String(repeating: "{", count: 81)).segments == 2)
    }

    @Test func theCharactersThatForcedUCS2AreListedOnce() {
        let text = SMSText("Habari 😀 ✓ 😀 yako")
        #expect(text.encoding == .ucs2)
        #expect(text.nonGSMCharacters == ["😀", "✓"])
        #expect(text.units == "Habari 😀 ✓ 😀 yako".utf16.count)
    }

    @Test func creditsAreOnePerSegment() {
        #expect(SMSText(String(repeating: "a", count: 200)).credits == Credits(whole: 2))
    }

    /// Parts of `capacity` filled in order, a piece that does not fit starting the next: the reference the segment
    /// counts are checked against.
    static func packed(_ pieces: [Int], single: Int, capacity: Int) -> Int {
        guard pieces.reduce(0, +) > single else { return 1 }
        return pieces.reduce(into: (parts: 1, used: 0)) { state, piece in
            if state.used + piece > capacity { state = (state.parts + 1, 0) }
            state.used += piece
        }.parts
    }

    @Test func gsmSegmentsNeverSplitAnEscapePair() async {
        await propertyCheck(input: Gen.element(of: Array("abcXYZ 019@£$_!?{}[]€^~|\\")).map { $0! }.array(of: 0...600)) { characters in
            let text = SMSText(String(characters))
            let pieces = characters.map { "{}[]€^~|\\".contains($0) ? 2 : 1 }
            let septets = pieces.reduce(0, +)
            #expect(text.encoding == .gsm7)
            #expect(text.units == septets)
            #expect(text.segments == Self.packed(pieces, single: 160, capacity: 153))
            // Never fewer than the plain division, and at most one septet lost per part.
            #expect(text.segments >= (septets <= 160 ? 1 : (septets + 152) / 153))
            #expect(text.segments <= (septets <= 160 ? 1 : (septets + 151) / 152))
        }
    }

    @Test func anEscapePairAtAPartBoundaryStartsTheNextPart() {
        // 152 + 2 + 152 = 306 septets: two parts by division, but the € cannot straddle the first part's end.
        let text = SMSText(String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 152))
        #expect(text.units == 306 && text.segments == 3)
        #expect(SMSText(String(repeating: "a", count: 151) + "€" + String(repeating: "a", count: 153)).segments == 2)
        // A surrogate pair at UCS-2 unit 67/68 likewise.
        let emoji = SMSText(String(repeating: "ж", count: 66) + "😀" + String(repeating: "ж", count: 66))
        #expect(emoji.units == 134 && emoji.segments == 3)
    }

    @Test func aWindowsLineBreakIsTwoGSMSeptetsNotUCS2() {
        let text = SMSText("Habari\r\nKaribu")
        #expect(text.encoding == .gsm7 && text.units == 14 && text.nonGSMCharacters.isEmpty)
        let long = SMSText(String(repeating: "a", count: 152) + "\r\n" + String(repeating: "a", count: 152))
        #expect(long.units == 306 && long.segments == 2)  // CR and LF are two septets: they may be split
    }

    @Test func oneNonGSMCharacterSwitchesTheWholeTextToUCS2() async {
        await propertyCheck(input: Gen.letterOrNumber.string(of: 0...300), Gen.element(of: Array("😀ж中✓ł")).map { $0! }) { base, odd in
            let text = SMSText(base + String(odd))
            #expect(text.encoding == .ucs2)
            let pieces = (base + String(odd)).unicodeScalars.map { UTF16.width($0) }
            #expect(text.segments == Self.packed(pieces, single: 70, capacity: 67))
        }
    }

    @Test(arguments: ["\u{037E}", "\u{212A}", "\u{2126}", "e\u{301}"])
    func aCodePointThatOnlyLooksGSMMakesTheTextUCS2(odd: String) {
        // U+037E is `;`, U+212A `K`, U+2126 `Ω` and e + U+0301 `é` to Swift's `==`, but none is GSM on the wire: 160
        // UTF-16 units are three UCS-2 parts, not one GSM-7 part.
        let text = SMSText(String(repeating: "a", count: 160 - odd.utf16.count) + odd)
        #expect(text.encoding == .ucs2)
        #expect(text.segments == 3)
        #expect(text.credits == Credits(whole: 3))
    }

    @Test func theSentTextIsComposedSoASeparateAccentCountsAsItsGSMLetter() {
        let policy = PromotionalPolicy()
        let sent = policy.text("Caf" + "e\u{301}" + String(repeating: "a", count: 156), category: .transactional)
        #expect(Array(sent.unicodeScalars.prefix(4)) == Array("Café".unicodeScalars))
        #expect(SMSText(sent).encoding == .gsm7 && SMSText(sent).segments == 1)
        // The lookalikes with a GSM letter of their own compose to it; a promotion's footer is composed with its body.
        #expect(policy.text("\u{212A}\u{2126}\u{037E}", category: .transactional).unicodeScalars.map(\.value) == [0x4B, 0x3A9, 0x3B])
        #expect(SMSText(policy.text("n\u{303}", category: .promotional)).encoding == .gsm7)
    }
}
