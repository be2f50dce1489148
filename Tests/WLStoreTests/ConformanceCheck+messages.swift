import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// A firm with `credits` whole credits.
func firmWithCredits(_ store: SQLStore, _ slug: String = "acme", credits: Int64) async throws -> Firm {
    let firm = try await store.createFirm(try newFirm(slug), now: checkTime)
    if credits > 0 {
        _ = try await store.applyCredits(firmID: firm.id, amount: Credits(whole: credits), kind: .adjustment, reference: "seed", now: checkTime)
    }
    return firm
}

/// A blast of one-segment SMS to `recipients` numbered from 254700100000.
func smsBlast(_ store: SQLStore, firm: Firm, count: Int, reference: String? = "ref-1", sendAt: Date = checkTime) async throws -> [Message] {
    let messages = (0..<count).map { index in
        NewMessage(
            recipient: "2547001\(String(format: "%05d", index))", body: "Hello \(index)", segments: 1, encoding: "GSM-7", credits: Credits(whole: 1))
    }
    let blast = NewBlast(
        id: NewBlast.makeID(for: .sms, at: Date()), firmID: firm.id, channel: .sms, reference: reference, template: "Hello", subject: nil,
        sendAt: sendAt)
    return try await store.createBlast(blast, messages: messages, now: checkTime)
}

/// Follows a listing's `next_starting_after` from the first page until none is given (at most 20 pages): the ids of
/// every page in order, and how many pages it took.
func followPages(_ page: (_ startingAfter: Int64?) async throws -> (ids: [Int64], next: Int64?)) async throws -> (ids: [Int64], pages: Int) {
    var (found, pages, next): ([Int64], Int, Int64?) = ([], 0, nil)
    repeat {
        let (ids, following) = try await page(next)
        found += ids
        next = following
        pages += 1
    } while next != nil && pages < 20
    return (found, pages)
}

extension ConformanceCheck {
    static let messages: [ConformanceCheck] = [
        ConformanceCheck("a blast writes every message pending, in order, visible only to its firm") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let created = try await smsBlast(store, firm: firm, count: 1_201)
            #expect(created.count == 1_201)
            #expect(Set(created.map(\.id)).count == 1_201)
            #expect(created.allSatisfy { $0.status == .pending && $0.stage == .queued })
            let stored = try #require(try await store.message(firmID: firm.id, id: created[600].id))
            #expect(stored == created[600])
            #expect(try await store.message(firmID: other.id, id: created[600].id) == nil)
        },
        ConformanceCheck("blasts written together come back in order; an id already taken fails the whole write as a duplicate") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            func write(_ id: String, _ count: Int) -> BlastWrite {
                let messages = (0..<count).map { index in
                    NewMessage(recipient: "25471100\(id.suffix(2))\(index)", body: "Hi", segments: 1, encoding: "GSM-7", credits: Credits(whole: 1))
                }
                let blast = NewBlast(id: id, firmID: firm.id, channel: .sms, reference: id, template: "Hi", subject: nil, sendAt: checkTime)
                return BlastWrite(blast: blast, messages: messages, now: checkTime)
            }
            let ids = (0..<3).map { _ in NewBlast.makeID(for: .sms, at: checkTime) }
            let together = try await store.createBlasts([write(ids[0], 2), write(ids[1], 3)])
            #expect(together.map { $0.map(\.blastID) } == [[ids[0], ids[0]], [ids[1], ids[1], ids[1]]])
            #expect(together[1].map(\.reference) == [ids[1], ids[1], ids[1]])
            do {
                _ = try await store.createBlasts([write(ids[2], 2), write(ids[0], 1)])
                Issue.record("a taken blast id was written")
            } catch let error as DomainError {
                #expect(error.code == .duplicate)
            }
            let kept = try await store.firstPageMessages(
                firmID: firm.id, filter: MessageFilter(channel: .sms, blastID: ids[2]), limit: 10, startingAfter: nil)
            #expect(kept.isEmpty)
        },
        ConformanceCheck("lists filter, page newest first, and keep firms apart") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let first = try await smsBlast(store, firm: firm, count: 3, reference: "a")
            let second = try await smsBlast(store, firm: firm, count: 2, reference: "b")
            let page = try await store.firstPageMessages(firmID: firm.id, filter: MessageFilter(channel: .sms), limit: 3, startingAfter: nil)
            #expect(page.map(\.id) == [second[1].id, second[0].id, first[2].id])
            let rest = try await store.firstPageMessages(
                firmID: firm.id, filter: MessageFilter(channel: .sms), limit: 10, startingAfter: page.last?.id)
            #expect(rest.map(\.id) == [first[1].id, first[0].id])
            #expect(
                try await store.firstPageMessages(
                    firmID: firm.id, filter: MessageFilter(channel: .sms, reference: "a"), limit: 10, startingAfter: nil
                ).count
                    == 3)
            #expect(
                try await store.firstPageMessages(
                    firmID: firm.id, filter: MessageFilter(channel: .sms, blastID: second[0].blastID), limit: 10, startingAfter: nil
                ).count == 2)
            #expect(
                try await store.firstPageMessages(
                    firmID: firm.id, filter: MessageFilter(channel: .sms, recipient: first[1].recipient), limit: 10, startingAfter: nil
                ).map(\.id) == [second[1].id, first[1].id])
            #expect(
                try await store.firstPageMessages(
                    firmID: firm.id, filter: MessageFilter(channel: .sms, status: .delivered), limit: 10, startingAfter: nil
                )
                .isEmpty)
            #expect(try await store.firstPageMessages(firmID: firm.id, filter: MessageFilter(channel: .email), limit: 10, startingAfter: nil).isEmpty)
            let other = try await firmWithCredits(store, "other", credits: 0)
            #expect(try await store.firstPageMessages(firmID: other.id, filter: MessageFilter(channel: .sms), limit: 10, startingAfter: nil).isEmpty)
            // The other firm's blast with the same reference and recipients stays its own.
            let others = try await smsBlast(store, firm: other, count: 3, reference: "a")
            let byReference = try await store.firstPageMessages(
                firmID: firm.id, filter: MessageFilter(channel: .sms, reference: "a"), limit: 2, startingAfter: nil)
            #expect(byReference.map(\.id) == [first[2].id, first[1].id])
            #expect(
                try await store.firstPageMessages(
                    firmID: firm.id, filter: MessageFilter(channel: .sms, reference: "a"), limit: 10, startingAfter: byReference.last?.id
                ).map(\.id) == [first[0].id])
            #expect(
                try await store.firstPageMessages(
                    firmID: other.id, filter: MessageFilter(channel: .sms, recipient: first[1].recipient), limit: 10, startingAfter: nil
                ).map(\.id) == [others[1].id])
        },
        ConformanceCheck("a listing page reads a bounded window: a rare match is reached page by page, each message once") { store in
            var windowed = store
            windowed.listingWindow = 5
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let created = try await smsBlast(store, firm: firm, count: 25)
            _ = try await smsBlast(store, firm: other, count: 3)
            for index in [17, 2] { _ = try await store.cancelMessage(firmID: firm.id, id: created[index].id, now: checkTime) }
            let failed = MessageFilter(channel: .sms, status: .failed)
            // The newest five hold no failure: the page is empty and says where the next window starts.
            let first = try await windowed.messagePage(firmID: firm.id, filter: failed, limit: 10, startingAfter: nil)
            #expect(first.messages.isEmpty)
            #expect(first.nextStartingAfter == created[20].id)
            let (found, pages) = try await followPages { next in
                let page = try await windowed.messagePage(firmID: firm.id, filter: failed, limit: 10, startingAfter: next)
                return (page.messages.map(\.id), page.nextStartingAfter)
            }
            #expect(found == [created[17].id, created[2].id])
            // Five windows of five, then one that finds the firm's messages at an end (the other firm's never count).
            #expect(pages == 6)
            // A page that fills before its window ends continues after its last message.
            let full = try await windowed.messagePage(firmID: firm.id, filter: MessageFilter(channel: .sms), limit: 3, startingAfter: nil)
            #expect(full.messages.map(\.id) == [created[24].id, created[23].id, created[22].id])
            #expect(full.nextStartingAfter == created[22].id)
            // At the window's edge: the page fills with the window's last message (the extra one lies beyond it, so
            // the page is full only when limit + 1 fit), or takes the whole window and goes on below it.
            let edgeFull = try await windowed.messagePage(firmID: firm.id, filter: MessageFilter(channel: .sms), limit: 4, startingAfter: nil)
            #expect(edgeFull.messages.map(\.id) == (21...24).reversed().map { created[$0].id })
            #expect(edgeFull.nextStartingAfter == created[21].id)
            let edgeWhole = try await windowed.messagePage(firmID: firm.id, filter: MessageFilter(channel: .sms), limit: 5, startingAfter: nil)
            #expect(edgeWhole.messages.map(\.id) == (20...24).reversed().map { created[$0].id })
            #expect(edgeWhole.nextStartingAfter == created[20].id)
            let after = try await windowed.messagePage(
                firmID: firm.id, filter: MessageFilter(channel: .sms), limit: 5, startingAfter: edgeWhole.nextStartingAfter)
            #expect(after.messages.map(\.id) == (15...19).reversed().map { created[$0].id })
            // An unbounded window finds both at once and knows nothing older can match.
            let whole = try await store.messagePage(firmID: firm.id, filter: failed, limit: 10, startingAfter: nil)
            #expect(whole.messages.map(\.id) == [created[17].id, created[2].id])
            #expect(whole.nextStartingAfter == nil)
            // No email at all: each window of SMS ends the page empty, and the last says so.
            let email = try await windowed.messagePage(
                firmID: firm.id, filter: MessageFilter(channel: .email), limit: 10, startingAfter: created[3].id)
            #expect(email.messages.isEmpty)
            #expect(email.nextStartingAfter == nil)
        },
        ConformanceCheck("charge, submit and a delivery report move a message forward with one event each") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let message = try #require(try await smsBlast(store, firm: firm, count: 1).first)
            let claimed = try await store.claimDue(channel: .sms, limit: 10, owner: "w1", lease: 30, now: checkTime)
            #expect(claimed.map(\.id) == [message.id])
            let charged = try await store.record(.charge, messageID: message.id, leaseOwner: "w1", now: checkTime)
            #expect(charged.status == .processing)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 4))
            let submitted = try await store.record(
                .submitted(providerMessageID: "P-1", report: nil), messageID: message.id, leaseOwner: "w1", now: checkTime)
            #expect(submitted.stage == .submitted)
            #expect(submitted.sentAt == checkTime)
            let delivered = try #require(
                try await store.recordReport(providerMessageID: "P-1", status: .delivered, response: "Success", network: "Safaricom", now: checkTime))
            #expect(delivered.status == .delivered)
            #expect(delivered.network == "Safaricom")
            #expect(delivered.deliveredAt == checkTime)
            let events = try await store.events(firmID: firm.id, messageID: message.id)
            #expect(events.map(\.event) == ["communication.sms.processing", "communication.sms.delivered"])
            #expect(events.map(\.sequence) == [1, 2])
            #expect(
                try await store.recordReport(providerMessageID: "unknown", status: .delivered, response: "x", network: nil, now: checkTime) == nil)
        },
        ConformanceCheck("duplicate and out-of-order reports change nothing") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let message = try #require(try await smsBlast(store, firm: firm, count: 1).first)
            _ = try await store.claimDue(channel: .sms, limit: 1, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record(.charge, messageID: message.id, leaseOwner: "w", now: checkTime)
            _ = try await store.record(.submitted(providerMessageID: "P-9", report: nil), messageID: message.id, leaseOwner: "w", now: checkTime)
            _ = try await store.recordReport(providerMessageID: "P-9", status: .delivered, response: "Success", network: nil, now: checkTime)
            _ = try await store.recordReport(providerMessageID: "P-9", status: .delivered, response: "Success", network: nil, now: checkTime)
            let late = try await store.recordReport(providerMessageID: "P-9", status: .processing, response: "Buffered", network: nil, now: checkTime)
            #expect(late?.status == .delivered)
            #expect(late?.response == "Success")
            #expect(try await store.events(firmID: firm.id, messageID: message.id).count == 2)
        },
        ConformanceCheck("a message its firm cannot pay for fails and costs nothing") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let message = try #require(try await smsBlast(store, firm: firm, count: 1).first)
            _ = try await store.claimDue(channel: .sms, limit: 1, owner: "w", lease: 30, now: checkTime)
            let failed = try await store.record(.charge, messageID: message.id, leaseOwner: "w", now: checkTime)
            #expect(failed.status == .failed)
            #expect(failed.response == "Insufficient SMS credits")
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).isEmpty)
            #expect(try await store.events(firmID: firm.id, messageID: message.id).map(\.event) == ["communication.sms.failed"])
        },
        ConformanceCheck("a refused message is refunded with a ledger row") { store in
            let firm = try await firmWithCredits(store, credits: 3)
            let message = try #require(try await smsBlast(store, firm: firm, count: 1).first)
            _ = try await store.claimDue(channel: .sms, limit: 1, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record(.charge, messageID: message.id, leaseOwner: "w", now: checkTime)
            let failed = try await store.record(
                .fail(response: "InvalidPhoneNumber", refund: true), messageID: message.id, leaseOwner: "w", now: checkTime)
            #expect(failed.status == .failed)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 3))
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).map(\.kind) == [.refund, .debit, .adjustment])
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits(whole: 3))
        },
        ConformanceCheck("a lease hides a message until it expires, then another worker rescues it") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let message = try #require(try await smsBlast(store, firm: firm, count: 1).first)
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "crashed", lease: 30, now: checkTime).count == 1)
            _ = try await store.record(.charge, messageID: message.id, leaseOwner: "crashed", now: checkTime)
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "w2", lease: 30, now: checkTime.addingTimeInterval(29)).isEmpty)
            let rescued = try await store.claimDue(channel: .sms, limit: 5, owner: "w2", lease: 30, now: checkTime.addingTimeInterval(31))
            #expect(rescued.map(\.id) == [message.id])
            #expect(rescued.first?.stage == .charged)
            let stale = await #expect(throws: DomainError.self) {
                try await store.record(
                    .submitted(providerMessageID: "late", report: nil), messageID: message.id, leaseOwner: "crashed", now: checkTime)
            }
            #expect(stale?.code == .conflict)
            let again = try await store.record(.charge, messageID: message.id, leaseOwner: "w2", now: checkTime.addingTimeInterval(31))
            #expect(again.status == .processing)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 4))
        },
        ConformanceCheck("a claim takes ended leases before free messages, and never more than its limit in all") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let ids = try await smsBlast(store, firm: firm, count: 4).map(\.id)
            #expect(try await store.claimDue(channel: .sms, limit: 2, owner: "crashed", lease: 30, now: checkTime).map(\.id) == [ids[0], ids[1]])
            let later = checkTime.addingTimeInterval(31)
            #expect(try await store.claimDue(channel: .sms, limit: 3, owner: "w2", lease: 30, now: later).map(\.id) == [ids[0], ids[1], ids[2]])
            #expect(try await store.claimDue(channel: .sms, limit: 3, owner: "w3", lease: 30, now: later).map(\.id) == [ids[3]])
            #expect(try await store.claimDue(channel: .sms, limit: 3, owner: "w4", lease: 30, now: later).isEmpty)
            #expect(try await store.claimDue(channel: .email, limit: 3, owner: "w4", lease: 30, now: later.addingTimeInterval(60)).isEmpty)
        },
        ConformanceCheck("a renewed lease keeps a busy worker's messages from others; another owner cannot renew it") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let ids = try await smsBlast(store, firm: firm, count: 2).map(\.id)
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "busy", lease: 30, now: checkTime).count == 2)
            #expect(try await store.renewLeases(messageIDs: ids, owner: "thief", lease: 600, now: checkTime).isEmpty)
            #expect(try await store.renewLeases(messageIDs: ids, owner: "busy", lease: 30, now: checkTime.addingTimeInterval(20)) == Set(ids))
            // Past the first lease (30 s) but within the renewed one (20 + 30 s): nobody else may take them.
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "w2", lease: 30, now: checkTime.addingTimeInterval(45)).isEmpty)
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "w2", lease: 30, now: checkTime.addingTimeInterval(51)).count == 2)
            #expect(try await store.renewLeases(messageIDs: ids, owner: "busy", lease: 30, now: checkTime.addingTimeInterval(52)).isEmpty)
        },
        ConformanceCheck("a renewal names the messages still held; a stale worker's outcomes are dropped") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let ids = try await smsBlast(store, firm: firm, count: 3).map(\.id)
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "slow", lease: 30, now: checkTime).count == 3)
            _ = try await store.record(ids.map { ($0, DispatchOutcome.charge) }, leaseOwner: "slow", now: checkTime)
            _ = try await store.record(.submitted(providerMessageID: "P-0", report: nil), messageID: ids[0], leaseOwner: "slow", now: checkTime)
            // The lease ran out; another worker took one message, the other is still the slow worker's.
            let later = checkTime.addingTimeInterval(31)
            #expect(try await store.claimDue(channel: .sms, limit: 1, owner: "fast", lease: 30, now: later).map(\.id) == [ids[1]])
            #expect(try await store.renewLeases(messageIDs: ids, owner: "slow", lease: 30, now: later) == [ids[2]])
            let changed = try await store.record(
                [(ids[1], .submitted(providerMessageID: "stale", report: nil)), (ids[2], .submitted(providerMessageID: "P-2", report: nil))],
                leaseOwner: "slow", now: later)
            #expect(changed.map(\.id) == [ids[2]])
            let taken = try #require(try await store.message(firmID: firm.id, id: ids[1]))
            #expect(taken.stage == .charged)
            #expect(taken.providerMessageID == nil)
        },
        ConformanceCheck("messages not yet due are not claimed, and a retry waits for its time") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let later = try await smsBlast(store, firm: firm, count: 1, sendAt: checkTime.addingTimeInterval(600))
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "w", lease: 30, now: checkTime).isEmpty)
            #expect(
                try await store.claimDue(channel: .sms, limit: 5, owner: "w", lease: 30, now: checkTime.addingTimeInterval(600)).map(\.id) == [
                    later[0].id
                ])
            let now = checkTime.addingTimeInterval(600)
            _ = try await store.record(.charge, messageID: later[0].id, leaseOwner: "w", now: now)
            let waiting = try await store.record(
                .retry(at: now.addingTimeInterval(5), response: "Provider busy"), messageID: later[0].id, leaseOwner: "w", now: now)
            #expect(waiting.attempts == 1)
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "w", lease: 30, now: now.addingTimeInterval(4)).isEmpty)
            #expect(try await store.claimDue(channel: .sms, limit: 5, owner: "w", lease: 30, now: now.addingTimeInterval(5)).count == 1)
        },
        ConformanceCheck("concurrent claimers never get the same message") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            _ = try await smsBlast(store, firm: firm, count: 300)
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0..<6 {
                    group.addTask { try await store.claimDue(channel: .sms, limit: 40, owner: "w\(worker)", lease: 30, now: checkTime).map(\.id) }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claims.count == 240)
            #expect(Set(claims).count == 240)
        },
        ConformanceCheck("concurrent charges pay for exactly what the balance covers") { store in
            let firm = try await firmWithCredits(store, credits: 50)
            let messages = try await smsBlast(store, firm: firm, count: 200)
            _ = try await store.claimDue(channel: .sms, limit: 200, owner: "w", lease: 30, now: checkTime)
            let statuses = try await withThrowingTaskGroup(of: MessageStatus.self) { group in
                for message in messages {
                    group.addTask { try await store.record(.charge, messageID: message.id, leaseOwner: "w", now: checkTime).status }
                }
                return try await group.reduce(into: [MessageStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .processing }.count == 50)
            #expect(statuses.filter { $0 == .failed }.count == 150)
            #expect(try await store.firm(id: firm.id)?.smsCredits == .zero)
            #expect(try await store.ledgerSum(firmID: firm.id) == .zero)
        },
        ConformanceCheck("a batch of charges pays in order until the balance runs out, skipping lost leases") { store in
            let firm = try await firmWithCredits(store, credits: 3)
            let messages = try await smsBlast(store, firm: firm, count: 6)
            _ = try await store.claimDue(channel: .sms, limit: 5, owner: "w", lease: 30, now: checkTime)
            let changed = try await store.record(messages.map { ($0.id, DispatchOutcome.charge) }, leaseOwner: "w", now: checkTime)
            #expect(changed.map(\.id) == messages.prefix(5).map(\.id))
            #expect(changed.map(\.status) == [.processing, .processing, .processing, .failed, .failed])
            #expect(try await store.message(firmID: firm.id, id: messages[5].id)?.status == .pending)
            #expect(try await store.firm(id: firm.id)?.smsCredits == .zero)
            #expect(try await store.ledgerSum(firmID: firm.id) == .zero)
            #expect(try await store.record([], leaseOwner: "w", now: checkTime).isEmpty)
        },
        ConformanceCheck("cancelling is idempotent before sending and refused after") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let messages = try await smsBlast(store, firm: firm, count: 3)
            let cancelled = try await store.cancelMessage(firmID: firm.id, id: messages[0].id, now: checkTime)
            #expect(cancelled.status == .failed)
            #expect(cancelled.response == "Cancelled")
            #expect(try await store.cancelMessage(firmID: firm.id, id: messages[0].id, now: checkTime) == cancelled)
            _ = try await store.claimDue(channel: .sms, limit: 1, owner: "w", lease: 30, now: checkTime)
            let leased = await #expect(throws: DomainError.self) {
                try await store.cancelMessage(firmID: firm.id, id: messages[1].id, now: checkTime)
            }
            #expect(leased?.code == .conflict)
            let blast = try await store.cancelBlast(firmID: firm.id, blastID: messages[0].blastID, channel: .sms, now: checkTime)
            #expect(blast == BlastCancellation(cancelled: 1, alreadyCancelled: 1, notCancellable: 1))
            let other = try await firmWithCredits(store, "other", credits: 0)
            let foreignMessage = await #expect(throws: DomainError.self) {
                try await store.cancelMessage(firmID: other.id, id: messages[2].id, now: checkTime)
            }
            #expect(foreignMessage?.code == .notFound)
            let foreignBlast = await #expect(throws: DomainError.self) {
                try await store.cancelBlast(firmID: other.id, blastID: messages[0].blastID, channel: .sms, now: checkTime)
            }
            #expect(foreignBlast?.code == .notFound)
        },
    ]
}
