import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// A firm with a webhook and `count` cancelled messages: one pending delivery each.
func firmWithDeliveries(_ store: SQLStore, _ slug: String = "acme", count: Int) async throws -> Firm {
    let firm = try await firmWithCredits(store, slug, credits: 5)
    try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://\(slug).example/hook", secret: nil), now: checkTime)
    for message in try await smsBlast(store, firm: firm, count: count) {
        _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime)
    }
    return firm
}

/// An attempt on `id` that ended at `at`.
func attempt(_ id: Int64, _ outcome: WebhookAttemptOutcome, status: Int? = 500, at: Date = checkTime) -> WebhookAttemptReport {
    WebhookAttemptReport(
        deliveryID: id, statusCode: status, error: status.map { "HTTP \($0)" }, latencyMilliseconds: 40, outcome: outcome, finishedAt: at)
}

extension ConformanceCheck {
    /// The webhook outbox as a leased queue: claim, renew, fenced record, set-based.
    static let webhookQueue: [ConformanceCheck] = [
        ConformanceCheck("the delivery log carries a delivery's newest 20 attempts and counts them all") { store in
            let firm = try await firmWithDeliveries(store, count: 1)
            for second in 0..<25 {
                let now = checkTime.addingTimeInterval(Double(second))
                let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "w", lease: 60, now: now)
                #expect(claimed.count == 1)
                _ = try await store.recordWebhookAttempts(claimed.map { attempt($0.id, .succeeded, status: 200, at: now) }, leaseOwner: "w")
                _ = try await store.redeliverWebhook(firmID: firm.id, deliveryID: try #require(claimed.first).id, now: now)
            }
            let log = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
            #expect(log.count == 1)
            #expect(log.first?.attempts.map(\.attempt) == Array(6...25))
            #expect(log.first?.attemptCount == 25)
        },
        ConformanceCheck("a delivery log page reads a bounded window of the firm's deliveries: a rare status is reached page by page") { store in
            var windowed = store
            windowed.listingWindow = 4
            let firm = try await firmWithDeliveries(store, count: 12)
            _ = try await firmWithDeliveries(store, "other", count: 5)
            let mine = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 100, startingAfter: nil)
            #expect(mine.count == 12)
            let failing = [mine[5].id, mine[10].id]
            let claimed = try await store.claimWebhookDeliveries(limit: 100, owner: "w", lease: 60, now: checkTime)
            #expect(claimed.count == 17)
            _ = try await store.recordWebhookAttempts(
                claimed.map { attempt($0.id, failing.contains($0.id) ? .failed : .succeeded, status: failing.contains($0.id) ? 500 : 200) },
                leaseOwner: "w")
            let failed = WebhookDeliveryFilter(status: .failed)
            // The newest four hold no failure: the page is empty and says where the next window starts.
            let first = try await windowed.webhookDeliveryPage(firmID: firm.id, filter: failed, limit: 10, startingAfter: nil)
            #expect(first.deliveries.isEmpty)
            #expect(first.nextStartingAfter == mine[3].id)
            let (found, pages) = try await followPages { next in
                let page = try await windowed.webhookDeliveryPage(firmID: firm.id, filter: failed, limit: 10, startingAfter: next)
                return (page.deliveries.map(\.id), page.nextStartingAfter)
            }
            #expect(found == failing)
            // Three windows of four, then one that finds the firm's deliveries at an end (the other firm's never count).
            #expect(pages == 4)
            let whole = try await store.webhookDeliveryPage(firmID: firm.id, filter: failed, limit: 1, startingAfter: nil)
            #expect(whole.deliveries.map(\.id) == [failing[0]])
            #expect(whole.nextStartingAfter == failing[0])
            let byMessage = try await windowed.webhookDeliveryPage(
                firmID: firm.id, filter: WebhookDeliveryFilter(messageID: mine[10].messageID), limit: 10, startingAfter: nil)
            #expect(byMessage.deliveries.map(\.id) == [mine[10].id])
            #expect(byMessage.nextStartingAfter == nil)
            let byEvent = try await windowed.webhookDeliveryPage(
                firmID: firm.id, filter: WebhookDeliveryFilter(eventID: mine[10].eventID), limit: 10, startingAfter: nil)
            #expect(byEvent.deliveries.map(\.id) == [mine[10].id])
            #expect(byEvent.nextStartingAfter == nil)
        },
        ConformanceCheck("a webhook lease is held until it ends, renewed only by its owner, then taken over") { store in
            let firm = try await firmWithDeliveries(store, count: 2)
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "a", lease: 60, now: checkTime)
            let ids = claimed.map(\.id)
            #expect(ids.count == 2 && claimed.allSatisfy { $0.firmID == firm.id })
            #expect(try await store.claimWebhookDeliveries(limit: 10, owner: "b", lease: 60, now: checkTime.addingTimeInterval(30)).isEmpty)
            #expect(try await store.renewWebhookLeases(deliveryIDs: ids, owner: "a", lease: 60, now: checkTime.addingTimeInterval(50)) == Set(ids))
            // Renewed until 110 s: still a's at 70 s, though the first lease ended at 60 s.
            #expect(try await store.claimWebhookDeliveries(limit: 10, owner: "b", lease: 60, now: checkTime.addingTimeInterval(70)).isEmpty)
            #expect(try await store.renewWebhookLeases(deliveryIDs: ids, owner: "b", lease: 60, now: checkTime.addingTimeInterval(70)).isEmpty)
            let taken = try await store.claimWebhookDeliveries(limit: 10, owner: "b", lease: 60, now: checkTime.addingTimeInterval(110))
            #expect(taken.map(\.id) == ids)
            #expect(try await store.renewWebhookLeases(deliveryIDs: ids, owner: "a", lease: 60, now: checkTime.addingTimeInterval(111)).isEmpty)
            #expect(try await store.renewWebhookLeases(deliveryIDs: [], owner: "b", lease: 60, now: checkTime.addingTimeInterval(111)).isEmpty)
        },
        ConformanceCheck("only the lease owner's attempts are recorded; a stale worker's are dropped and change nothing") { store in
            let firm = try await firmWithDeliveries(store, count: 3)
            let ids = try await store.claimWebhookDeliveries(limit: 10, owner: "a", lease: 60, now: checkTime).map(\.id)
            let later = checkTime.addingTimeInterval(61)
            #expect(try await store.claimWebhookDeliveries(limit: 1, owner: "b", lease: 60, now: later).map(\.id) == [ids[0]])
            // a's lease on the first passed to b; a's batch of three records the other two only, in one go.
            let recorded = try await store.recordWebhookAttempts(
                [
                    attempt(ids[0], .succeeded, status: 200, at: later), attempt(ids[1], .failed, at: later),
                    attempt(ids[2], .succeeded, status: 200, at: later),
                ],
                leaseOwner: "a")
            #expect(recorded == [ids[1], ids[2]])
            let log = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
            let byID = Dictionary(uniqueKeysWithValues: log.map { ($0.id, $0) })
            #expect(byID[ids[0]]?.status == .pending && byID[ids[0]]?.attempts.isEmpty == true)
            #expect(byID[ids[1]]?.status == .failed && byID[ids[1]]?.attempts.map(\.statusCode) == [500])
            #expect(byID[ids[2]]?.status == .succeeded && byID[ids[2]]?.completedAt == later)
            let started = try #require(byID[ids[2]]?.attempts.first?.startedAt)
            #expect(abs(started.timeIntervalSince(later) + 0.04) < 0.000_5)
            // Recorded once: the same attempt again, or the delivery's lease renewed, finds no lease.
            #expect(try await store.recordWebhookAttempts([attempt(ids[2], .succeeded, status: 200, at: later)], leaseOwner: "a").isEmpty)
            #expect(try await store.renewWebhookLeases(deliveryIDs: ids, owner: "a", lease: 60, now: later).isEmpty)
            #expect(try await store.recordWebhookAttempts([attempt(ids[0], .succeeded, status: 200, at: later)], leaseOwner: "b") == [ids[0]])
            #expect(try await store.recordWebhookAttempts([], leaseOwner: "b").isEmpty)
        },
        ConformanceCheck("recording a batch of webhook attempts costs the same statements for 2 as for 150, across firms") { store in
            let counting = CountingDatabase(store.database)
            let counted = SQLStore(database: counting, secrets: store.secrets)
            var costs: [Int] = []
            for (round, size) in [2, 150].enumerated() {
                _ = try await firmWithDeliveries(store, "firm\(round)a", count: size / 2)
                let gone = try await firmWithDeliveries(store, "firm\(round)b", count: size / 2)
                let claimed = try await store.claimWebhookDeliveries(limit: 1_000, owner: "w\(round)", lease: 60, now: checkTime)
                #expect(claimed.count == size)
                let attempts = claimed.map { delivery in
                    delivery.firmID == gone.id
                        ? attempt(delivery.id, .disableEndpoint(reason: WebhookRules.goneReason), status: 410)
                        : attempt(delivery.id, .retry(at: checkTime.addingTimeInterval(5)))
                }
                var recorded: Set<Int64> = []
                costs.append(try await counting.counting { recorded = try await counted.recordWebhookAttempts(attempts, leaseOwner: "w\(round)") })
                #expect(recorded.count == size)
                #expect(try await store.webhook(firmID: gone.id)?.disabledReason == WebhookRules.goneReason)
            }
            #expect(costs[0] == costs[1])
            #expect(costs[0] <= 5)
            // The retried ones come back when due; the disabled firm's never.
            let due = try await store.claimWebhookDeliveries(limit: 1_000, owner: "x", lease: 60, now: checkTime.addingTimeInterval(5))
            #expect(due.count == 1 + 75)
        },
        ConformanceCheck("webhook claims go firm by firm: a busy firm is skipped, the limit spans firms, and the cost is per firm") { store in
            let first = try await firmWithDeliveries(store, "first", count: 3)
            let second = try await firmWithDeliveries(store, "second", count: 2)
            let third = try await firmWithDeliveries(store, "third", count: 2)
            let counting = CountingDatabase(store.database)
            let counted = SQLStore(database: counting, secrets: store.secrets)
            var claimed: [WebhookDelivery] = []
            let statements = try await counting.counting {
                claimed = try await counted.claimWebhookDeliveries(limit: 4, owner: "a", lease: 60, now: checkTime, excludingFirms: [first.id])
            }
            #expect(claimed.map(\.firmID) == [second.id, second.id, third.id, third.id])
            // The firms read, a claim for each of the two firms, then the claimed rows' events, messages and firms.
            #expect(statements <= 2 + 2 + 6 + 2)
            let rest = try await store.claimWebhookDeliveries(limit: 2, owner: "b", lease: 60, now: checkTime)
            #expect(rest.map(\.firmID) == [first.id, first.id])
            // Nothing due for the busy first firm's other owner: its last delivery is there, but excluded.
            #expect(try await store.claimWebhookDeliveries(limit: 10, owner: "c", lease: 60, now: checkTime, excludingFirms: [first.id]).isEmpty)
            #expect(try await store.claimWebhookDeliveries(limit: 10, owner: "c", lease: 60, now: checkTime).map(\.firmID) == [first.id])
            // A firm whose deliveries are all leased is not read as due: nothing to claim, no write taken.
            var none: [WebhookDelivery] = []
            let idle = try await counting.counting {
                none = try await counted.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            }
            #expect(none.isEmpty)
            #expect(idle == 1)
        },
        ConformanceCheck("a 410 fails its own delivery and disables the endpoint; one on its way then is held and sent once the URL is set again") {
            store in
            let firm = try await firmWithDeliveries(store, count: 2)
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "a", lease: 60, now: checkTime)
            #expect(claimed.count == 2)
            let gone = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.goneReason)
            let answeredAt = checkTime.addingTimeInterval(2)
            let recorded = try await store.recordWebhookAttempts(
                claimed.map { attempt($0.id, gone, status: 410, at: answeredAt) }, leaseOwner: "a")
            #expect(recorded == Set(claimed.map(\.id)))
            #expect(try await store.webhook(firmID: firm.id)?.disabledAt == answeredAt)
            #expect(try await store.claimWebhookDeliveries(limit: 10, owner: "b", lease: 60, now: answeredAt).isEmpty)
            let setAgain = answeredAt.addingTimeInterval(60)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://acme.example/hook", secret: nil), now: setAgain)
            let again = try await store.claimWebhookDeliveries(limit: 10, owner: "b", lease: 60, now: setAgain)
            #expect(again.map(\.id) == [claimed[1].id] && again.first?.attempts == 1)
        },
        ConformanceCheck("a 410 from a URL the firm has since replaced disables nothing, and its delivery goes to the new URL at once") { store in
            let firm = try await firmWithDeliveries(store, count: 2)
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "a", lease: 60, now: checkTime)
            #expect(claimed.map(\.url) == ["https://acme.example/hook", "https://acme.example/hook"])
            let changedAt = checkTime.addingTimeInterval(1)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://new.example/hook", secret: nil), now: changedAt)
            let answeredAt = checkTime.addingTimeInterval(2)
            let gone = WebhookAttemptOutcome.disableEndpoint(reason: WebhookRules.goneReason)
            var stale = attempt(claimed[0].id, gone, status: 410, at: answeredAt)
            stale.url = "https://acme.example/hook"
            #expect(try await store.recordWebhookAttempts([stale], leaseOwner: "a") == [claimed[0].id])
            let settings = try #require(try await store.webhook(firmID: firm.id))
            #expect(settings.url == "https://new.example/hook" && settings.disabledAt == nil)
            let again = try await store.claimWebhookDeliveries(limit: 10, owner: "b", lease: 60, now: answeredAt)
            #expect(again.map(\.id) == [claimed[0].id] && again.first?.url == "https://new.example/hook" && again.first?.attempts == 1)
            // The same answer from the URL the endpoint has now disables it.
            var current = attempt(claimed[0].id, gone, status: 410, at: answeredAt)
            current.url = "https://new.example/hook"
            #expect(try await store.recordWebhookAttempts([current], leaseOwner: "b") == [claimed[0].id])
            let disabled = try #require(try await store.webhook(firmID: firm.id))
            #expect(disabled.disabledAt == answeredAt && disabled.disabledReason == WebhookRules.goneReason)
        },
        ConformanceCheck("one webhook claim takes from at most 32 firms, chosen at random; the next, skipping them as busy, reaches the rest") {
            store in
            var firms: [Int64] = []
            for index in 0..<40 { firms.append(try await firmWithDeliveries(store, "firm\(index)", count: 1).id) }
            let first = try await store.claimWebhookDeliveries(limit: 1_000, owner: "a", lease: 60, now: checkTime)
            let busy = Set(first.map(\.firmID))
            #expect(first.count == 32 && busy.count == 32 && busy.isSubset(of: firms))
            let second = try await store.claimWebhookDeliveries(limit: 1_000, owner: "a", lease: 60, now: checkTime, excludingFirms: busy)
            #expect(Set(second.map(\.firmID)) == Set(firms).subtracting(busy) && second.count == 8)
        },
        ConformanceCheck("firms whose due deliveries all wait for an earlier event do not hold back the firms after them") { store in
            // 32 firms whose endpoints fail: each message's first event waits an hour to retry, its second is due but
            // must not go first. A 33rd firm has a delivery ready.
            var blocked: [Int64] = []
            for index in 0..<33 {
                let firm = try await firmWithCredits(store, "firm\(index)", credits: 5)
                try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://f\(index).example/hook", secret: nil), now: checkTime)
                let message = try #require(try await smsBlast(store, firm: firm, count: 1).first)
                _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime)
                _ = try await store.record(.charge, messageID: message.id, leaseOwner: "w", now: checkTime)
                guard index < 32 else { break }
                _ = try await store.record(
                    .submitted(providerMessageID: "P\(message.id)", report: DeliveryReport(status: .delivered, response: "Success", network: nil)),
                    messageID: message.id, leaseOwner: "w", now: checkTime)
                let first = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
                #expect(first.map(\.subject.sequence) == [1])
                _ = try await store.recordWebhookAttempts(
                    first.map { attempt($0.id, .retry(at: checkTime.addingTimeInterval(3_600))) }, leaseOwner: "d")
                blocked.append(firm.id)
            }
            // A claim takes from 32 of the 33 due firms, chosen at random: the ready firm is reached within a few claims
            // (missed by 60 in a row with a chance of one in 10^91), where taking the first 32 by id never reached it.
            var claimed: [WebhookDelivery] = []
            for _ in 0..<60 where claimed.isEmpty {
                claimed = try await store.claimWebhookDeliveries(limit: 100, owner: "e", lease: 60, now: checkTime.addingTimeInterval(1))
            }
            #expect(claimed.count == 1 && !blocked.contains(claimed[0].firmID))
            #expect(claimed.first?.subject.eventName == "communication.sms.processing")
        },
    ]
}
