import PropertyBased
import Testing

@testable import WLServices

/// A firm endpoint's POSTs in flight: one more per full window of successes up to the ceiling, halved at each failure.
@Suite struct ConcurrencyWindowTests {
    /// The window's limit after each answer in turn (`true`: a 2xx).
    func limits(_ window: inout ConcurrencyWindow, after answers: [Bool]) -> [Int] {
        answers.map { succeeded in
            window.answered(succeeded: succeeded)
            return window.limit
        }
    }

    @Test func successesGrowTheLimitByOnePerFullWindowUpToTheCeiling() {
        var window = ConcurrencyWindow(start: 2, ceiling: 4)
        #expect(limits(&window, after: Array(repeating: true, count: 12)) == [2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4])
    }

    @Test func eachFailureHalvesTheLimitDownToOneAndRestartsTheCount() {
        var window = ConcurrencyWindow(start: 8, ceiling: 32)
        #expect(limits(&window, after: Array(repeating: false, count: 5)) == [4, 2, 1, 1, 1])
        window.answered(succeeded: true)
        #expect(window.limit == 2, "one success fills a window of one")
    }

    @Test func theStartIsKeptWithinOneAndTheCeiling() {
        #expect(ConcurrencyWindow(start: 0, ceiling: 4).limit == 1)
        #expect(ConcurrencyWindow(start: 9, ceiling: 4).limit == 4)
        #expect(ConcurrencyWindow(start: 3, ceiling: 0).limit == 1)
    }

    @Test func anyRunOfAnswersKeepsTheLimitInBoundsAndMovesItOneWayPerAnswer() async {
        await propertyCheck(input: Gen.int(in: 1...16), Gen.bool.array(of: 0...200)) { start, answers in
            var window = ConcurrencyWindow(start: start, ceiling: 16)
            for succeeded in answers {
                let before = window.limit
                window.answered(succeeded: succeeded)
                #expect((1...16).contains(window.limit))
                #expect(succeeded ? (window.limit == before || window.limit == before + 1) : window.limit == max(1, before / 2))
            }
        }
    }

    @Test func aFirmsSlotsFollowItsWindowAndEachFirmHasItsOwn() async {
        let slots = EndpointSlots(start: 2, ceiling: 8)
        for _ in 0..<2 { _ = await slots.withSlot(1, { 200 }, succeeded: { $0 == 200 }) }
        #expect(slots.limit(1) == 3)
        _ = await slots.withSlot(1, { 503 }, succeeded: { $0 == 200 })
        #expect(slots.limit(1) == 1)
        #expect(slots.limit(2) == 2)
        #expect(slots.inFlight(1) == 0)
    }
}
