import PropertyBased
import Testing
import WLServices

/// The SMS claim follows the rate of the last batch, between its floor and its ceiling.
@Suite struct ClaimSizeTests {
    static func claimSize() -> ClaimSize { ClaimSize(floor: 200, ceiling: 2_000, target: .seconds(1)) }

    @Test func aFastProviderDoublesTheClaimUpToTheCeiling() {
        let size = Self.claimSize()
        var sizes = [size.next]
        for _ in 0..<5 {
            size.observe(count: size.next, elapsed: .milliseconds(30))
            sizes.append(size.next)
        }
        #expect(sizes == [200, 400, 800, 1_600, 2_000, 2_000])
    }

    @Test func aSlowProviderKeepsTheFloor() {
        // Africa's Talking at 120 ms a call, 8 calls at once, 200 distinct texts: about 3 s a batch.
        let size = Self.claimSize()
        size.observe(count: 200, elapsed: .seconds(3))
        #expect(size.next == 200)
    }

    @Test func aBatchSlowerThanTheTargetShrinksTheNextAtOnce() {
        let size = Self.claimSize()
        for _ in 0..<4 { size.observe(count: size.next, elapsed: .milliseconds(10)) }
        #expect(size.next == 2_000)
        size.observe(count: 2_000, elapsed: .seconds(4))
        #expect(size.next == 500)
    }

    @Test func aPartialBatchIsMeasuredByItsOwnRate() {
        let size = Self.claimSize()
        // 50 messages in 200 ms: 250 fit in the target.
        size.observe(count: 50, elapsed: .milliseconds(200))
        #expect(size.next == 250)
        size.observe(count: 0, elapsed: .seconds(10))
        #expect(size.next == 250, "an empty claim says nothing about the rate")
    }

    @Test func oneObservationMovesTheSizeAtMostToTwiceWithinTheBoundsAndFasterNeverGivesLess() async {
        await propertyCheck(input: Gen.int(in: 1...5_000), Gen.int(in: 0...5_000_000), Gen.int(in: 0...5_000_000)) { count, a, b in
            let (faster, slower) = (Self.claimSize(), Self.claimSize())
            faster.observe(count: count, elapsed: .microseconds(min(a, b)))
            slower.observe(count: count, elapsed: .microseconds(max(a, b)))
            #expect((200...400).contains(faster.next))
            #expect((200...400).contains(slower.next))
            #expect(faster.next >= slower.next)
        }
    }
}
