import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct RetryPolicyTests {
    let sms = RetryPolicy(base: 5, cap: 600, maxAttempts: 6)

    @Test func exponentialDelaysDoubleFromTheBaseUpToTheCap() {
        #expect((1...9).map { sms.baseDelay(afterAttempt: $0) } == [5, 10, 20, 40, 80, 160, 320, 600, 600])
        #expect(sms.baseDelay(afterAttempt: 10_000) == 600)
        #expect(RetryPolicy(base: 0, cap: 600, maxAttempts: 6).baseDelay(afterAttempt: 10_000) == 0)
    }

    @Test(arguments: [(0.0, 4.0), (0.25, 4.5), (0.5, 5), (1, 6), (-3, 4), (7, 6)])
    func jitterSpreadsTwentyPercentEitherWayAndClampsTheRandomValue(random: Double, seconds: Double) {
        #expect(abs(sms.delay(afterAttempt: 1, random: random) - seconds) < 1e-9)
    }

    @Test func retryAfterIsAFloorNotAReplacement() {
        #expect(sms.decide(afterAttempt: 1, retryAfter: 30, random: 0.5) == .retry(after: 30))
        #expect(sms.decide(afterAttempt: 3, retryAfter: 1, random: 0.5) == .retry(after: 20))
        #expect(sms.decide(afterAttempt: 1, retryAfter: nil, random: 0.5) == .retry(after: 5))
    }

    @Test(arguments: [1e17, Double.infinity, 7_200])
    func aRetryAfterBeyondAnHourIsReadAsAnHour(asked: Double) {
        #expect(sms.decide(afterAttempt: 1, retryAfter: asked, random: 0.5) == .retry(after: 3_600))
    }

    @Test(arguments: [-5, Double.nan, -Double.infinity])
    func aNegativeOrNaNRetryAfterIsIgnored(asked: Double) {
        #expect(sms.decide(afterAttempt: 1, retryAfter: asked, random: 0.5) == .retry(after: 5))
    }

    @Test func itGivesUpExactlyAtTheLastAttempt() {
        #expect(sms.decide(afterAttempt: 5, random: 0.5) != .giveUp)
        #expect(sms.decide(afterAttempt: 6, random: 0.5) == .giveUp)
        #expect(sms.decide(afterAttempt: 6, retryAfter: 1, random: 0.5) == .giveUp)
    }

    @Test func theWebhookScheduleIsTheDocumentedOne() {
        let webhooks = RetryPolicy.webhooks
        #expect(webhooks.maxAttempts == 8)
        #expect((1...7).map { webhooks.baseDelay(afterAttempt: $0) } == [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000])
        #expect(webhooks.delay(afterAttempt: 1, random: 0.5) == 5)
        #expect(abs(webhooks.delay(afterAttempt: 2, random: 0) - 270) < 1e-9)
        #expect(abs(webhooks.delay(afterAttempt: 2, random: 1) - 330) < 1e-9)
        #expect(webhooks.decide(afterAttempt: 7, random: 0.5) == .retry(after: 36_000))
        #expect(webhooks.decide(afterAttempt: 8, random: 0.5) == .giveUp)
    }

    /// Any exponential policy: the waits never shrink (for one random draw), every wait stays within the cap and its jitter,
    /// a Retry-After is always waited out (up to the hour it is capped at), and the policy gives up at exactly `maxAttempts`.
    @Test func anyExponentialPolicyGrowsStaysCappedAndGivesUpOnTime() async {
        await propertyCheck(
            input: Gen.int(in: 1...60), Gen.int(in: 1...3_600), Gen.int(in: 1...12), Gen.double(in: 0...1), Gen.int(in: 0...7_200)
        ) { base, cap, attempts, random, retryAfter in
            let cap = Double(max(base, cap))
            let policy = RetryPolicy(base: Double(base), cap: cap, maxAttempts: attempts)
            var previous = (plain: 0.0, jittered: 0.0)
            for attempt in 1...(policy.maxAttempts + 3) {
                let plain = policy.baseDelay(afterAttempt: attempt)
                let delay = policy.delay(afterAttempt: attempt, random: random)
                #expect(plain >= previous.plain && delay >= previous.jittered)
                previous = (plain, delay)
                #expect(delay >= plain * 0.8 - 1e-9 && delay <= cap * 1.2 + 1e-9)
                let decision = policy.decide(afterAttempt: attempt, retryAfter: Double(retryAfter), random: random)
                if attempt >= policy.maxAttempts {
                    #expect(decision == .giveUp)
                } else {
                    #expect(decision == .retry(after: max(delay, min(Double(retryAfter), RetryPolicy.longestRetryAfter))))
                }
            }
        }
    }
}
