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

    @Test func gsmSegmentsMatchTheFormula() async {
        await propertyCheck(input: Gen.element(of: Array("abcXYZ 019@£$_!?{}[]€^~|\\")).map { $0! }.array(of: 0...600)) { characters in
            let text = SMSText(String(characters))
            let septets = characters.reduce(0) { $0 + ("{}[]€^~|\\".contains($1) ? 2 : 1) }
            #expect(text.encoding == .gsm7)
            #expect(text.units == septets)
            #expect(text.segments == (septets <= 160 ? 1 : Int((Double(septets) / 153).rounded(.up))))
        }
    }

    @Test func oneNonGSMCharacterSwitchesTheWholeTextToUCS2() async {
        await propertyCheck(input: Gen.letterOrNumber.string(of: 0...300), Gen.element(of: Array("😀ж中✓ł")).map { $0! }) { base, odd in
            let text = SMSText(base + String(odd))
            let units = (base + String(odd)).utf16.count
            #expect(text.encoding == .ucs2)
            #expect(text.segments == (units <= 70 ? 1 : (units + 66) / 67))
        }
    }
}
