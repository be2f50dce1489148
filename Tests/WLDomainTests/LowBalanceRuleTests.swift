import PropertyBased
import Testing
import WLDomain

@Suite struct LowBalanceRuleTests {
    @Test func crossingFiresOnceAndRisingAboveReArms() {
        let threshold = Credits(whole: 10)
        var alerted = false
        var fired: [Int64] = []
        for balance: Int64 in [15, 11, 10, 9, 3, 10, 11, 8, 20] {
            let decision = LowBalanceRule.decide(balance: Credits(whole: balance), threshold: threshold, alerted: alerted)
            if decision.fire { fired.append(balance) }
            alerted = decision.alerted
        }
        #expect(fired == [10, 8])
        #expect(!alerted)
    }

    @Test func aNewThresholdStartsUnfiredAndTheSameOneKeepsItsState() {
        let five = Credits(whole: 5)
        #expect(LowBalanceRule.alerted(afterSetting: five, previous: five, alerted: true))
        #expect(!LowBalanceRule.alerted(afterSetting: five, previous: five, alerted: false))
        #expect(!LowBalanceRule.alerted(afterSetting: Credits(whole: 6), previous: five, alerted: true))
        #expect(!LowBalanceRule.alerted(afterSetting: nil, previous: five, alerted: true))
        #expect(!LowBalanceRule.alerted(afterSetting: five, previous: nil, alerted: true))
    }

    @Test func withoutAThresholdNothingFires() {
        #expect(LowBalanceRule.decide(balance: .zero, threshold: nil, alerted: true) == (false, false))
    }

    /// Any walk of balances: an alert fires exactly at each move from above the threshold to at-or-below it.
    @Test func firesExactlyAtEachDownwardCrossing() async {
        await propertyCheck(input: Gen.int(in: 0...50), Gen.int(in: 0...50).array(of: 1...30)) { threshold, walk in
            var alerted = false
            var previousLow = false
            for balance in walk {
                let decision = LowBalanceRule.decide(
                    balance: Credits(whole: Int64(balance)), threshold: Credits(whole: Int64(threshold)), alerted: alerted)
                let low = balance <= threshold
                #expect(decision.fire == (low && !previousLow))
                #expect(decision.alerted == low)
                alerted = decision.alerted
                previousLow = low
            }
        }
    }
}
