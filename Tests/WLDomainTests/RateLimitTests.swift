import PropertyBased
import Testing
import WLDomain

@Suite struct RateLimitTests {
    let policy = RateLimitPolicy(name: "sends", quota: 100, window: 5)

    /// Runs `count` requests at `now` from `tat`; returns how many were allowed and the TAT after.
    func burst(_ count: Int, at now: Int64, tat: Int64?) -> (allowed: Int, tat: Int64?, last: RateLimitDecision?) {
        var tat = tat
        var allowed = 0
        var last: RateLimitDecision?
        for _ in 0..<count {
            let (decision, next) = GCRA.decide(policy, tat: tat, now: now)
            tat = next
            last = decision
            if decision.allowed { allowed += 1 }
        }
        return (allowed, tat, last)
    }

    @Test func aBurstUpToTheQuotaPassesThenTheRestWait() {
        let (allowed, tat, last) = burst(150, at: 1_000_000_000, tat: nil)
        #expect(allowed == 100)
        #expect(last?.allowed == false)
        #expect(last?.remaining == 0)
        #expect(last?.retryAfter == 1)
        #expect(last?.header == "\"sends\";r=0;t=5")
        // One emission interval (50 ms) later, exactly one more passes.
        #expect(burst(2, at: 1_000_050_000, tat: tat).allowed == 1)
        #expect(policy.policyHeader == "\"sends\";q=100;w=5")
    }

    @Test func remainingCountsDown() {
        let first = GCRA.decide(policy, tat: nil, now: 0)
        #expect(first.decision.remaining == 99)
        #expect(GCRA.decide(policy, tat: first.tat, now: 0).decision.remaining == 98)
    }

    @Test func overAnyStretchTheAllowedCountStaysWithinTheRatePlusTheBurst() async {
        await propertyCheck(input: Gen.int(in: 1...400), Gen.int(in: 1...20)) { requestsPerSecond, seconds in
            var tat: Int64?
            var allowed = 0
            let total = requestsPerSecond * seconds
            for index in 0..<total {
                let now = Int64(index) * 1_000_000 / Int64(requestsPerSecond)
                let (decision, next) = GCRA.decide(policy, tat: tat, now: now)
                tat = next
                if decision.allowed { allowed += 1 }
            }
            // 20 per second sustained, plus the burst of 100 (and one for the first instant).
            #expect(allowed <= 20 * seconds + 101)
            #expect(allowed >= min(total, 20 * (seconds - 1) + 100) - 1 || total <= 100)
        }
    }

    @Test func aQuotaAboveAMillionASecondStillDecides() {
        let generous = RateLimitPolicy(name: "sends", quota: 5_000_000, window: 1)
        var tat: Int64?
        var allowed = 0
        for _ in 0..<1_500_000 {
            let (decision, next) = GCRA.decide(generous, tat: tat, now: 0)
            tat = next
            if decision.allowed { allowed += 1 }
        }
        // The interval is clamped to 1 µs, so one instant allows a burst of a million and refuses the rest.
        #expect(allowed == 1_000_000)
    }
}
