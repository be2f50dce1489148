import Foundation
import Testing
import WLDomain

@Suite struct PurchaseLimitsTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theHourlyCapSaysWhenTheOldestOfTheLastPromptsLeavesTheHour() {
        let limits = PurchaseLimits(maxPending: 2, maxPerHour: 3)
        let started = [-3_000, -100, -1_200].map { Self.now.addingTimeInterval(Double($0)) }
        #expect(throws: PurchaseLimitExceeded.hourly(limit: 3, freeAt: Self.now.addingTimeInterval(600))) {
            try limits.check(startedInWindow: started, pending: 0, now: Self.now)
        }
        // Once the oldest has left the hour, a prompt may start (two pending is still the limit).
        #expect(throws: Never.self) { try limits.check(startedInWindow: started, pending: 1, now: Self.now.addingTimeInterval(600)) }
        #expect(throws: PurchaseLimitExceeded.pending(limit: 2)) {
            try limits.check(startedInWindow: started, pending: 2, now: Self.now.addingTimeInterval(600))
        }
    }

    @Test func theHourlyCapComesFirstAndAnEmptyPhoneMayStart() {
        let limits = PurchaseLimits(maxPending: 1, maxPerHour: 1)
        #expect(throws: PurchaseLimitExceeded.hourly(limit: 1, freeAt: Self.now.addingTimeInterval(3_599))) {
            try limits.check(startedInWindow: [Self.now.addingTimeInterval(-1)], pending: 1, now: Self.now)
        }
        #expect(throws: Never.self) { try limits.check(startedInWindow: [], pending: 0, now: Self.now) }
        #expect(PurchaseLimits(maxPending: 0, maxPerHour: -4) == PurchaseLimits(maxPending: 1, maxPerHour: 1))
    }
}
