import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// How many rows `table` holds.
private func rows(_ store: SQLStore, _ table: String) async throws -> Int {
    Int(try await store.database.read { try await $0.query("SELECT COUNT(*) AS n FROM \(table)") }[0].int("n"))
}

/// How many rows of `table` have `value` in `column`.
private func rows(_ store: SQLStore, _ table: String, where column: String, _ value: Int64) async throws -> Int {
    Int(try await store.database.read { try await $0.query("SELECT COUNT(*) AS n FROM \(table) WHERE \(column) = $1", [.int(value)]) }[0].int("n"))
}

/// `hours` after ``checkTime``.
private func hours(_ hours: Double) -> Date { checkTime.addingTimeInterval(hours * 3_600) }

/// Charges `message` and hands it to the provider (accepted, no report yet) at `at`: processing, awaiting its report.
private func accepted(_ store: SQLStore, _ message: Message, at: Date) async throws {
    _ = try await store.record(.submitted(providerMessageID: "P\(message.id)", report: nil), messageID: message.id, leaseOwner: "w", now: at)
}

/// Claims and charges every message of `messages` at ``checkTime``.
private func claimAndCharge(_ store: SQLStore, _ messages: [Message]) async throws {
    _ = try await store.claimDue(channel: .sms, limit: 100, owner: "w", lease: 30, now: checkTime)
    for message in messages { _ = try await store.record(.charge, messageID: message.id, leaseOwner: "w", now: checkTime) }
}

/// A firm whose webhook works, with `credits` credits.
/// Records a 200 for the delivery leased to "d".
private func delivered(_ store: SQLStore, _ deliveryID: Int64, at now: Date) async throws {
    try await store.recordWebhookAttempt(
        deliveryID: deliveryID, leaseOwner: "d", statusCode: 200, error: nil, latencyMilliseconds: 5, outcome: .succeeded, now: now)
}

/// Records a 500 for the delivery leased to "d", to be tried again at `retryAt`.
private func refused(_ store: SQLStore, _ deliveryID: Int64, retryAt: Date, at now: Date) async throws {
    try await store.recordWebhookAttempt(
        deliveryID: deliveryID, leaseOwner: "d", statusCode: 500, error: "HTTP 500", latencyMilliseconds: 5, outcome: .retry(at: retryAt), now: now)
}

private func firmWithWebhook(_ store: SQLStore, credits: Int64 = 10) async throws -> Firm {
    let firm = try await firmWithCredits(store, credits: credits)
    try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: nil), now: checkTime)
    return firm
}

extension ConformanceCheck {
    static let housekeeping: [ConformanceCheck] = [
        ConformanceCheck("one owner holds the leader lease at a time; another takes it once it runs out or is released") { store in
            func hold(_ owner: String, at seconds: TimeInterval, for lease: TimeInterval = 90) async throws -> Bool {
                let now = checkTime.addingTimeInterval(seconds)
                return try await store.holdLease("housekeeping", owner: owner, until: now.addingTimeInterval(lease), now: now)
            }
            #expect(try await hold("a", at: 0))
            #expect(try await !hold("b", at: 10))
            #expect(try await hold("a", at: 30))  // renewed until 120
            #expect(try await !hold("b", at: 119))
            #expect(try await store.holdLease("other", owner: "b", until: hours(1), now: checkTime))  // leases are by name
            #expect(try await hold("b", at: 120))
            #expect(try await !hold("a", at: 121))
            try await store.releaseLease("housekeeping", owner: "a")  // not a's: changes nothing
            #expect(try await !hold("a", at: 122))
            try await store.releaseLease("housekeeping", owner: "b")
            #expect(try await hold("a", at: 123))
        },
        ConformanceCheck("PostgreSQL tells its own clock, for the instances' skew check; SQLite, opened in the process, has none") { store in
            let clock = try await store.databaseClock { Date() }
            switch store.database.dialect {
            case .postgres: #expect(clock.map { abs($0.database.timeIntervalSince($0.local)) < 5 } == true)
            case .sqlite: #expect(clock == nil)
            }
        },
        ConformanceCheck("idempotency keys older than 24 hours are deleted in batches; younger ones still replay") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            for (key, at) in [("old-1", 0.0), ("old-2", 1), ("old-3", 2), ("young", 30)] {
                #expect(
                    try await store.claimIdempotencyKey(
                        firmID: firm.id, key: key, requestHash: "h", now: hours(at), staleAfter: 600, expiry: 86_400) == .proceed)
                try await store.completeIdempotencyKey(firmID: firm.id, key: key, claimedAt: hours(at), status: 202, body: "{}", now: hours(at))
            }
            let cutoff = hours(48).addingTimeInterval(-86_400)  // 24 h before hour 48: only "young" is younger
            #expect(try await store.deleteIdempotencyKeys(createdBefore: cutoff, limit: 2) == 2)
            #expect(try await store.deleteIdempotencyKeys(createdBefore: cutoff, limit: 2) == 1)
            #expect(try await store.deleteIdempotencyKeys(createdBefore: cutoff, limit: 2) == 0)
            #expect(
                try await store.claimIdempotencyKey(firmID: firm.id, key: "young", requestHash: "h", now: hours(48), staleAfter: 600, expiry: 86_400)
                    == .replay(status: 202, body: "{}"))
            #expect(
                try await store.claimIdempotencyKey(firmID: firm.id, key: "old-1", requestHash: "x", now: hours(48), staleAfter: 600, expiry: 86_400)
                    == .proceed)
        },
        ConformanceCheck("rate-limit rows whose quota is all back are deleted; busy ones are kept") { store in
            let policy = RateLimitPolicy(name: "send", quota: 10, window: 10)  // one request's share comes back after 1 s
            let second: Int64 = 1_000_000
            _ = try await store.consume(key: "idle", policy: policy, now: 0)
            for _ in 0..<5 { _ = try await store.consume(key: "busy", policy: policy, now: 10 * second) }
            #expect(try await store.deleteIdleRateLimits(now: 10 * second, limit: 100) == 1)
            #expect(try await store.deleteIdleRateLimits(now: 10 * second, limit: 100) == 0)
            #expect(try await store.peek(key: "busy", policy: policy, now: 10 * second).remaining == 4)
            #expect(try await store.peek(key: "idle", policy: policy, now: 10 * second).remaining == 9)
            #expect(try await store.consume(key: "idle", policy: policy, now: 10 * second).allowed)
        },
        ConformanceCheck("final messages past retention go with their events, deliveries and blast; pending ones and money stay") { store in
            let firm = try await firmWithWebhook(store)
            let old = try await smsBlast(store, firm: firm, count: 3)
            _ = try await store.cancelMessage(firmID: firm.id, id: old[1].id, now: checkTime)
            try await claimAndCharge(store, [old[0]])  // old[2] stays pending (leased for 30 s)
            _ = try await store.record(
                .submitted(providerMessageID: "P1", report: DeliveryReport(status: .delivered, response: "Success", network: nil)),
                messageID: old[0].id, leaseOwner: "w", now: checkTime)
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            for delivery in claimed { try await delivered(store, delivery.id, at: checkTime) }
            #expect(try await rows(store, "webhook_attempts") == 2)
            let payment = try await newPayment(store, firm: firm)
            _ = try await store.settlePayment(
                id: payment.id, outcome: .paid(receipt: "TKU4X7Q2LM", amount: KES(shillings: 500), paidAt: checkTime), now: checkTime)
            let young = try await store.createBlast(
                NewBlast(
                    id: NewBlast.makeID(for: .sms, at: Date()), firmID: firm.id, channel: .sms, reference: nil, template: "Hi", subject: nil,
                    sendAt: hours(2)),
                messages: [NewMessage(recipient: "254700200000", body: "Hi", segments: 1, encoding: "GSM-7", credits: Credits(whole: 1))],
                now: hours(2))
            _ = try await store.cancelMessage(firmID: firm.id, id: young[0].id, now: hours(2))
            let ledger = try await store.ledger(firmID: firm.id, limit: 100, startingAfter: nil)
            let balance = try await store.firm(id: firm.id)?.smsCredits

            #expect(try await store.deleteMessages(createdBefore: hours(1), limit: 1) == 1)
            #expect(try await store.deleteMessages(createdBefore: hours(1), limit: 1) == 1)
            #expect(try await store.deleteMessages(createdBefore: hours(1), limit: 1) == 0)

            #expect(try await store.message(firmID: firm.id, id: old[0].id) == nil)
            #expect(try await store.message(firmID: firm.id, id: old[1].id) == nil)
            #expect(try await store.message(firmID: firm.id, id: old[2].id)?.status == .pending)
            #expect(try await store.message(firmID: firm.id, id: young[0].id)?.status == .failed)
            #expect(try await store.events(firmID: firm.id, messageID: old[0].id).isEmpty)
            // A deleted message is no longer found by its recipient, nor kept in PostgreSQL's table of recipients.
            for (message, kept) in [(old[0], false), (old[2], true)] {
                let to = MessageFilter(channel: .sms, recipient: message.recipient)
                #expect(
                    try await store.firstPageMessages(firmID: firm.id, filter: to, limit: 10, startingAfter: nil).map(\.id)
                        == (kept ? [message.id] : []))
            }
            if store.database.dialect == .postgres {
                #expect(try await rows(store, "message_recipients", where: "message_id", old[0].id) == 0)
                #expect(try await rows(store, "message_recipients", where: "message_id", old[2].id) == 1)
            }
            #expect(try await rows(store, "webhook_deliveries", where: "message_id", old[0].id) == 0)
            #expect(try await rows(store, "webhook_attempts") == 0)
            #expect(try await store.events(firmID: firm.id, messageID: young[0].id).count == 1)
            #expect(try await rows(store, "blasts") == 2)  // the old one still has its pending message
            #expect(try await store.ledger(firmID: firm.id, limit: 100, startingAfter: nil) == ledger)
            #expect(try await store.firm(id: firm.id)?.smsCredits == balance)
            #expect(try await store.ledgerSum(firmID: firm.id) == balance)
            #expect(try await store.payment(firmID: firm.id, id: payment.id)?.status == .received)
            #expect(try await rows(store, "payment_events") > 0)

            _ = try await store.cancelMessage(firmID: firm.id, id: old[2].id, now: hours(1))
            // Its failed event is still to be delivered: the message stays until it has been.
            #expect(try await store.deleteMessages(createdBefore: hours(1), limit: 10) == 0)
            for delivery in try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: hours(1)) {
                try await delivered(store, delivery.id, at: hours(1))
            }
            #expect(try await store.deleteMessages(createdBefore: hours(1), limit: 10) == 1)
            #expect(try await rows(store, "blasts") == 1)
        },
        ConformanceCheck("a final message past retention with a delivery due after the cutoff (a redelivery) stays until it is delivered") { store in
            let firm = try await firmWithWebhook(store)
            let messages = try await smsBlast(store, firm: firm, count: 2)
            for message in messages { _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime) }
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            #expect(claimed.count == 2)
            // One delivered; the other waits for its next attempt.
            try await delivered(store, claimed[0].id, at: checkTime)
            try await refused(store, claimed[1].id, retryAt: hours(2), at: checkTime)
            guard case .message(_, let waiting) = claimed[1].subject else { throw StoreError.corrupt("a message delivery was expected") }

            #expect(try await store.deleteMessages(createdBefore: hours(1), limit: 10) == 1)
            #expect(try await store.message(firmID: firm.id, id: waiting.id)?.status == .failed)
            #expect(try await rows(store, "webhook_deliveries", where: "message_id", waiting.id) == 1)
            let again = try #require(try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: hours(2)).first)
            #expect(again.id == claimed[1].id)
            try await delivered(store, again.id, at: hours(2))
            #expect(try await store.deleteMessages(createdBefore: hours(1), limit: 10) == 1)
            #expect(try await store.message(firmID: firm.id, id: waiting.id) == nil)
        },
        ConformanceCheck("finished webhook deliveries past retention go with their attempts; pending and younger ones stay") { store in
            let firm = try await firmWithWebhook(store)
            let messages = try await smsBlast(store, firm: firm, count: 3)
            for message in messages.prefix(2) { _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime) }
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            #expect(claimed.count == 2)
            try await delivered(store, claimed[0].id, at: checkTime)
            try await refused(store, claimed[1].id, retryAt: hours(1_000), at: checkTime)
            _ = try await store.cancelMessage(firmID: firm.id, id: messages[2].id, now: hours(24 * 40))
            let recent = try #require(try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: hours(24 * 40)).first)
            try await delivered(store, recent.id, at: hours(24 * 40))

            #expect(try await store.deleteWebhookDeliveries(createdBefore: hours(24 * 30), limit: 10) == 1)
            #expect(try await store.deleteWebhookDeliveries(createdBefore: hours(24 * 30), limit: 10) == 0)
            let left = try await store.firstPageDeliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 10, startingAfter: nil)
            #expect(Set(left.map(\.id)) == [claimed[1].id, recent.id])
            #expect(try await rows(store, "webhook_attempts", where: "delivery_id", claimed[0].id) == 0)
            #expect(try await rows(store, "webhook_attempts", where: "delivery_id", claimed[1].id) == 1)
            #expect(try await store.events(firmID: firm.id, messageID: messages[0].id).count == 1)  // the event and message stay
        },
        ConformanceCheck("events of final messages past retention go with finished deliveries; pending deliveries keep theirs") { store in
            let firm = try await firmWithWebhook(store)
            let messages = try await smsBlast(store, firm: firm, count: 3)
            for message in messages.prefix(2) { _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime) }
            try await claimAndCharge(store, [messages[2]])  // processing: not final
            let claimed = try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime)
            #expect(claimed.count == 3)
            let first = claimed[0]
            try await delivered(store, first.id, at: checkTime)
            guard case .message(_, let done) = first.subject else { throw StoreError.corrupt("a message delivery was expected") }

            #expect(try await store.deleteMessageEvents(occurredBefore: hours(1), limit: 10) == 1)
            #expect(try await store.deleteMessageEvents(occurredBefore: hours(1), limit: 10) == 0)
            #expect(try await store.events(firmID: firm.id, messageID: done.id).isEmpty)
            #expect(try await rows(store, "webhook_attempts", where: "delivery_id", first.id) == 0)
            for message in messages where message.id != done.id {
                #expect(try await store.events(firmID: firm.id, messageID: message.id).count == 1)
            }
            #expect(try await store.message(firmID: firm.id, id: done.id)?.status == .failed)
        },
        ConformanceCheck("processing messages accepted over 72 hours ago expire unrefunded with their event; others are untouched") { store in
            let firm = try await firmWithWebhook(store)
            let messages = try await smsBlast(store, firm: firm, count: 4)
            try await claimAndCharge(store, messages)
            try await accepted(store, messages[0], at: checkTime)
            try await accepted(store, messages[1], at: hours(10))
            _ = try await store.record(
                .submitted(providerMessageID: "P-delivered", report: DeliveryReport(status: .delivered, response: "Success", network: nil)),
                messageID: messages[2].id, leaseOwner: "w", now: checkTime)
            // messages[3] is charged but not handed over yet: the dispatcher's, not the housekeeper's.
            let ledger = try await store.ledger(firmID: firm.id, limit: 100, startingAfter: nil)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 6))
            let now = hours(72).addingTimeInterval(1)
            let cutoff = now.addingTimeInterval(-72 * 3_600)

            let expired = try await store.expireMessages(acceptedBefore: cutoff, limit: 10, now: now)
            #expect(expired.map(\.id) == [messages[0].id])
            let message = try #require(try await store.message(firmID: firm.id, id: messages[0].id))
            #expect(message.status == .failed)
            #expect(message.response == "Expired")
            #expect(message.stage == .done)
            let events = try await store.events(firmID: firm.id, messageID: messages[0].id)
            #expect(events.map(\.status) == [.processing, .failed])
            #expect(events.last?.response == "Expired")
            #expect(events.last?.occurredAt == now)
            let deliveries = try await store.firstPageDeliveries(
                firmID: firm.id, filter: WebhookDeliveryFilter(messageID: messages[0].id), limit: 10, startingAfter: nil)
            #expect(deliveries.map(\.event).sorted() == ["communication.sms.failed", "communication.sms.processing"])
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 6))
            #expect(try await store.ledger(firmID: firm.id, limit: 100, startingAfter: nil) == ledger)

            #expect(try await store.expireMessages(acceptedBefore: cutoff, limit: 10, now: now).isEmpty)
            #expect(try await store.message(firmID: firm.id, id: messages[1].id)?.status == .processing)
            #expect(try await store.message(firmID: firm.id, id: messages[2].id)?.status == .delivered)
            #expect(try await store.message(firmID: firm.id, id: messages[3].id)?.stage == .charged)
            #expect(try await store.expireMessages(acceptedBefore: hours(11), limit: 10, now: hours(83)).map(\.id) == [messages[1].id])
        },
    ]
}
