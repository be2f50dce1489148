import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct MoneyTests {
    @Test func contractPurchaseGives277Point7778Credits() {
        #expect(KES(shillings: 500).credits(atRate: KES(cents: 180)) == Credits(units: 2_777_778))
        #expect(KES(shillings: 500).credits(atRate: KES(cents: 180)).description == "277.7778")
    }

    @Test(arguments: [
        (KES(cents: 1), KES(cents: 3), Int64(3333)),  // 0.33333… rounds down
        (KES(cents: 2), KES(cents: 3), Int64(6667)),  // 0.66666… rounds up
        (KES(cents: 1), KES(cents: 20_000), Int64(1)),  // 0.00005 rounds half away from zero
        (KES(cents: 1), KES(cents: 20_001), Int64(0)),
    ])
    func divisionRoundsHalfAwayFromZero(amount: KES, rate: KES, units: Int64) {
        #expect(amount.credits(atRate: rate).units == units)
    }

    @Test func creditsOfAPurchaseAreWithinHalfAUnitOfTheExactQuotient() async {
        await propertyCheck(input: Gen.int64(in: 1...10_000_000), Gen.int64(in: 1...100_000)) { cents, rate in
            let credits = KES(cents: cents).credits(atRate: KES(cents: rate))
            // |credits·rate − amount·10⁴| ≤ rate/2, in exact integers.
            let error = (credits.units * rate - cents * Credits.unitsPerCredit).magnitude
            #expect(error * 2 <= UInt64(rate))
        }
    }

    @Test(arguments: ["125.5", "277.7778", "0", "3", "-2.5", "0.0001"])
    func creditsParseAndFormatRoundTrip(text: String) {
        #expect(Credits(text)?.description == text)
    }

    @Test(arguments: ["", "1.23456", "abc", "1e3", "1.", ".5", "--1", "99999999999999999999"])
    func creditsRefuseMalformedText(text: String) {
        #expect(Credits(text) == nil)
    }

    @Test func creditsFormatThenParseIsIdentity() async {
        await propertyCheck(input: Gen.int64(in: -1_000_000_000_000...1_000_000_000_000)) { units in
            #expect(Credits(Credits(units: units).description) == Credits(units: units))
        }
    }

    @Test func jsonShowsPlainNumbersLikeTheContract() throws {
        struct Body: Codable, Equatable {
            var credits: Credits
            var rate: KES
        }
        let body = Body(credits: Credits(units: 1_255_000), rate: KES(cents: 180))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(body), as: UTF8.self)
        #expect(json == #"{"credits":125.5,"rate":1.8}"#)
        #expect(try JSONDecoder().decode(Body.self, from: Data(json.utf8)) == body)
    }

    @Test func jsonRefusesMoreDecimalsThanTheUnit() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([KES].self, from: Data("[1.234]".utf8))
        }
    }

    @Test(arguments: [
        (Int64(123_400), "KES 1,234.00"), (0, "KES 0.00"), (5, "KES 0.05"), (-50_050, "KES -500.50"),
        (123_456_789_00, "KES 123,456,789.00"),
    ])
    func kesDisplaysWithThousandsAndTwoDecimals(cents: Int64, text: String) {
        #expect(KES(cents: cents).display == text)
    }

    /// A JSON amount that does not fit says it is too large; one finer than the unit says how many decimals fit.
    @Test func decodingSaysWhetherAnAmountIsTooLargeOrTooFine() {
        func reason<T: Decodable>(_ json: String, as type: T.Type) -> String? {
            do {
                _ = try JSONDecoder().decode([T].self, from: Data(json.utf8))
                return nil
            } catch DecodingError.dataCorrupted(let context) {
                return context.debugDescription
            } catch {
                return "\(error)"
            }
        }
        #expect(reason("[1e15]", as: Credits.self) == "Credits amount is too large")
        #expect(reason("[1.23456]", as: Credits.self) == "Credits take at most four decimal places")
        #expect(reason("[1e17]", as: KES.self) == "KES amount is too large")
        #expect(reason("[1.234]", as: KES.self) == "KES take at most two decimal places")
        #expect(reason("[922337203685.4775]", as: Credits.self) == nil)
    }
}
