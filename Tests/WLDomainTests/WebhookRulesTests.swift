import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct WebhookRulesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    static func leased(attempts: Int = 0) -> WebhookDeliveryState {
        WebhookDeliveryState(
            id: 3, firmID: 7, status: .pending, attempts: attempts, nextAttemptAt: now, leaseOwner: "w", leaseUntil: now.addingTimeInterval(60))
    }

    static func report(_ outcome: WebhookAttemptOutcome, status: Int? = 500, at: Date = now) -> WebhookAttemptReport {
        WebhookAttemptReport(
            deliveryID: 3, statusCode: status, error: status == 200 ? nil : "HTTP \(status ?? 0)", latencyMilliseconds: 250, outcome: outcome,
            finishedAt: at)
    }

    @Test func theAnswerDecidesTheOutcome() {
        #expect(WebhookRules.outcome(statusCode: 200, attempt: 1, now: Self.now, random: 0.5) == .succeeded)
        #expect(WebhookRules.outcome(statusCode: 299, attempt: 8, now: Self.now, random: 0.5) == .succeeded)
        #expect(WebhookRules.outcome(statusCode: 410, attempt: 1, now: Self.now, random: 0.5) == .disableEndpoint(reason: WebhookRules.goneReason))
        #expect(WebhookRules.outcome(statusCode: 500, attempt: 1, now: Self.now, random: 0.5) == .retry(at: Self.now.addingTimeInterval(5)))
        #expect(WebhookRules.outcome(statusCode: 301, attempt: 2, now: Self.now, random: 0.5) == .retry(at: Self.now.addingTimeInterval(300)))
        #expect(WebhookRules.outcome(statusCode: nil, attempt: 7, now: Self.now, random: 0.5) == .retry(at: Self.now.addingTimeInterval(36_000)))
        #expect(WebhookRules.outcome(statusCode: nil, attempt: 8, now: Self.now, random: 0.5) == .failed)
    }

    @Test func aRedeliveryIsOneMoreAttemptRetriedOnlyWhileAttemptsAreLeft() {
        // A delivery that failed after all eight attempts, redelivered: its ninth attempt fails for good at once.
        #expect(WebhookRules.outcome(statusCode: 503, attempt: 9, now: Self.now, random: 0.5) == .failed)
        #expect(WebhookRules.outcome(statusCode: 200, attempt: 9, now: Self.now, random: 0.5) == .succeeded)
        // One that succeeded at its first attempt, redelivered: its second attempt is retried on the usual schedule.
        #expect(WebhookRules.outcome(statusCode: 503, attempt: 2, now: Self.now, random: 0.5) == .retry(at: Self.now.addingTimeInterval(300)))
    }

    @Test func aRecordedAttemptCountsEndsTheLeaseAndMovesTheDelivery() {
        var delivery = Self.leased(attempts: 2)
        var endpoint = WebhookEndpointHealth()
        let retryAt = Self.now.addingTimeInterval(1_800)
        #expect(WebhookRules.apply(Self.report(.retry(at: retryAt)), leaseOwner: "w", to: &delivery, endpoint: &endpoint) == .retry(at: retryAt))
        #expect(delivery.attempts == 3 && delivery.status == .pending && delivery.nextAttemptAt == retryAt && delivery.completedAt == nil)
        #expect(delivery.leaseOwner == nil && delivery.leaseUntil == nil)
        #expect(delivery.lastStatusCode == 500 && delivery.lastError == "HTTP 500")
        #expect(endpoint.failingSince == Self.now && endpoint.disabledAt == nil)
        delivery.leaseOwner = "w"
        let later = Self.now.addingTimeInterval(2_000)
        WebhookRules.apply(Self.report(.succeeded, status: 200, at: later), leaseOwner: "w", to: &delivery, endpoint: &endpoint)
        #expect(delivery.status == .succeeded && delivery.completedAt == later && delivery.nextAttemptAt == later && delivery.lastError == nil)
        #expect(endpoint.failingSince == nil)
    }

    @Test func anotherWorkersLeaseDropsTheAttempt() {
        var delivery = Self.leased()
        var endpoint = WebhookEndpointHealth()
        for owner in ["other", "w2"] {
            #expect(WebhookRules.apply(Self.report(.failed), leaseOwner: owner, to: &delivery, endpoint: &endpoint) == nil)
        }
        #expect(delivery == Self.leased())
        delivery.leaseOwner = nil
        let unleased = delivery
        #expect(WebhookRules.apply(Self.report(.failed), leaseOwner: "w", to: &delivery, endpoint: &endpoint) == nil)
        #expect(delivery == unleased)
        #expect(endpoint == WebhookEndpointHealth())
    }

    @Test func goneFailsTheDeliveryAndDisablesTheEndpointAtOnce() {
        var delivery = Self.leased()
        var endpoint = WebhookEndpointHealth()
        let gone = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.goneReason)
        #expect(WebhookRules.apply(Self.report(gone, status: 410), leaseOwner: "w", to: &delivery, endpoint: &endpoint) == gone)
        #expect(delivery.status == .failed && delivery.completedAt == Self.now)
        #expect(endpoint.disabledAt == Self.now && endpoint.disabledReason == WebhookRules.goneReason)
    }

    /// A 410, a retry or a last failure answered by `url` leaves `endpoint` as it is, and its delivery pending, due
    /// again at once, the attempt counted and the lease ended.
    static func expectEveryFailureDueAgainAtOnce(on url: String, leaving endpoint: WebhookEndpointHealth) {
        let gone = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.goneReason)
        for outcome in [gone, .failed, .retry(at: now.addingTimeInterval(300))] {
            var delivery = leased(attempts: 7)
            var after = endpoint
            var answer = report(outcome, status: 410)
            answer.url = url
            #expect(WebhookRules.apply(answer, leaseOwner: "w", to: &delivery, endpoint: &after) == .retry(at: now))
            #expect(after == endpoint)
            #expect(delivery.status == .pending && delivery.nextAttemptAt == now && delivery.attempts == 8 && delivery.leaseOwner == nil)
            #expect(delivery.completedAt == nil)
        }
    }

    @Test func anAttemptThatFailsOnAnEndpointAlreadyDisabledIsHeldNotFailed() {
        let disabled = WebhookEndpointHealth(
            url: "https://a.example/hook", failingSince: Self.now.addingTimeInterval(-600), lastFailureAt: Self.now.addingTimeInterval(-60),
            disabledAt: Self.now.addingTimeInterval(-1), disabledReason: WebhookRules.goneReason)
        let gone = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.goneReason)
        // Another lane's 410 came first; this POST, on its way then, gets a 410, a 500 or its last failure.
        Self.expectEveryFailureDueAgainAtOnce(on: "https://a.example/hook", leaving: disabled)
        // Two answers recorded together: the first 410 disables and fails its delivery, the second is held.
        var endpoint = WebhookEndpointHealth(url: "https://a.example/hook")
        var first = Self.leased()
        var second = Self.leased()
        #expect(WebhookRules.apply(Self.report(gone, status: 410), leaseOwner: "w", to: &first, endpoint: &endpoint) == gone)
        #expect(WebhookRules.apply(Self.report(gone, status: 410), leaseOwner: "w", to: &second, endpoint: &endpoint) == .retry(at: Self.now))
        #expect(first.status == .failed && second.status == .pending)
    }

    @Test func anAttemptOnAReplacedURLLeavesTheEndpointAloneAndIsDueAgainAtOnce() {
        let current = WebhookEndpointHealth(url: "https://new.example/hook")
        let gone = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.goneReason)
        Self.expectEveryFailureDueAgainAtOnce(on: "https://old.example/hook", leaving: current)
        var delivery = Self.leased()
        var endpoint = WebhookEndpointHealth(url: "https://new.example/hook", failingSince: Self.now)
        var success = Self.report(.succeeded, status: 200)
        success.url = "https://old.example/hook"
        #expect(WebhookRules.apply(success, leaseOwner: "w", to: &delivery, endpoint: &endpoint) == .succeeded)
        #expect(delivery.status == .succeeded && endpoint.failingSince == Self.now)
        // The same answer from the current URL disables it.
        var sameURL = Self.report(gone, status: 410)
        sameURL.url = "https://new.example/hook"
        var fresh = Self.leased()
        var health = current
        #expect(WebhookRules.apply(sameURL, leaseOwner: "w", to: &fresh, endpoint: &health) == gone)
        #expect(health.disabledAt == Self.now && fresh.status == .failed)
    }

    @Test func failingForFiveDaysDisablesAndASuccessInBetweenResetsTheClock() {
        var endpoint = WebhookEndpointHealth()
        #expect(WebhookRules.settle(.failed, endpoint: &endpoint, now: Self.now) == .failed)
        let almost = Self.now.addingTimeInterval(5 * Self.day - 1)
        #expect(WebhookRules.settle(.retry(at: almost), endpoint: &endpoint, now: almost) == .retry(at: almost))
        #expect(WebhookRules.settle(.succeeded, endpoint: &endpoint, now: almost) == .succeeded)
        #expect(endpoint.failingSince == nil)
        let restart = almost.addingTimeInterval(1)
        #expect(WebhookRules.settle(.failed, endpoint: &endpoint, now: restart) == .failed)
        // A failure every day keeps the run unbroken.
        for day in 1...4 {
            let later = restart.addingTimeInterval(Double(day) * Self.day)
            #expect(WebhookRules.settle(.retry(at: later), endpoint: &endpoint, now: later) == .retry(at: later))
        }
        let fiveDays = restart.addingTimeInterval(5 * Self.day)
        let disabled = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.failingReason)
        #expect(WebhookRules.settle(.retry(at: fiveDays), endpoint: &endpoint, now: fiveDays) == disabled)
        #expect(
            endpoint
                == WebhookEndpointHealth(
                    failingSince: restart, lastFailureAt: fiveDays, disabledAt: fiveDays, disabledReason: WebhookRules.failingReason))
        // A 410 at the limit keeps its own reason.
        var gone = WebhookEndpointHealth(failingSince: Self.now)
        let goneOutcome = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.goneReason)
        #expect(WebhookRules.settle(goneOutcome, endpoint: &gone, now: Self.now.addingTimeInterval(6 * Self.day)) == goneOutcome)
        #expect(gone.disabledReason == WebhookRules.goneReason)
    }

    @Test func aFailingMarkWithNoFailureForADayRestartsInsteadOfDisablingAtTheNextFailure() {
        var endpoint = WebhookEndpointHealth()
        // A delivery gave up; then nothing was sent to the endpoint for a week.
        #expect(WebhookRules.settle(.failed, endpoint: &endpoint, now: Self.now) == .failed)
        let week = Self.now.addingTimeInterval(7 * Self.day)
        #expect(WebhookRules.settle(.retry(at: week), endpoint: &endpoint, now: week) == .retry(at: week))
        #expect(endpoint == WebhookEndpointHealth(failingSince: week, lastFailureAt: week))
        // Within the hour the last failure is not moved on, so the endpoint's row is not written again.
        let soon = week.addingTimeInterval(3_599)
        _ = WebhookRules.settle(.retry(at: soon), endpoint: &endpoint, now: soon)
        #expect(endpoint == WebhookEndpointHealth(failingSince: week, lastFailureAt: week))
        // A day and a second without a failure is a gap; a day is not.
        let dayLater = week.addingTimeInterval(Self.day)
        _ = WebhookRules.settle(.retry(at: dayLater), endpoint: &endpoint, now: dayLater)
        #expect(endpoint.failingSince == week)
        let gap = dayLater.addingTimeInterval(Self.day + 1)
        _ = WebhookRules.settle(.retry(at: gap), endpoint: &endpoint, now: gap)
        #expect(endpoint.failingSince == gap)
    }

    /// Any sequence of attempts on one endpoint, hours apart: it ends disabled exactly when a 410 came or some failure
    /// came five days or more into an unbroken run of failures (no success, and no day without a failure), and its
    /// failing mark is the start of the current run.
    @Test func anySequenceOfAttemptsDisablesExactlyWhenThePolicySays() async {
        let step = Gen.int(in: 0...2).map { pick -> WebhookAttemptOutcome in
            switch pick {
            case 0: .succeeded
            case 1: .failed
            default: .disableEndpoint(reason: WebhookRules.goneReason)
            }
        }
        await propertyCheck(input: step.array(of: 1...30), Gen.int(in: 1...72).array(of: 30...30)) { outcomes, gaps in
            var endpoint = WebhookEndpointHealth()
            var now = Self.now
            var runStart: Date?
            var lastFailure: Date?
            var shouldDisable = false
            for (outcome, gap) in zip(outcomes, gaps) {
                now = now.addingTimeInterval(Double(gap) * 3_600)
                if outcome == .succeeded {
                    runStart = nil
                } else {
                    if let last = lastFailure, now.timeIntervalSince(last) > Self.day { runStart = nil }
                    runStart = runStart ?? now
                    lastFailure = now
                    if outcome != .failed || now.timeIntervalSince(runStart ?? now) >= 5 * Self.day { shouldDisable = true }
                }
                _ = WebhookRules.settle(outcome, endpoint: &endpoint, now: now)
            }
            #expect((endpoint.disabledAt != nil) == shouldDisable)
            #expect(endpoint.failingSince == runStart)
        }
    }
}
