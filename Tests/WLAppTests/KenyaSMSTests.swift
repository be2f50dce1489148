import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

/// A provider that accepts everything and records each call's sender ID, text and numbers.
final class RecordingProvider: SMSProvider {
    struct Call: Sendable, Equatable {
        var sender: String?
        var text: String
        var recipients: [String]
    }

    let calls = Mutex<[Call]>([])
    /// Numbers answered `UserInBlacklist`.
    let blacklisted: Set<String>

    init(blacklisted: Set<String> = []) { self.blacklisted = blacklisted }

    func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        calls.withLock { $0.append(Call(sender: sender, text: text, recipients: recipients.map(\.recipient))) }
        return Dictionary(
            uniqueKeysWithValues: recipients.map { recipient in
                (
                    recipient.messageID,
                    blacklisted.contains(recipient.recipient)
                        ? .blacklisted(reason: "UserInBlacklist") : .accepted(providerMessageID: "AT-\(recipient.messageID)", report: nil)
                )
            })
    }
}

@Suite struct KenyaSMSTests {
    /// 2027-01-15T11:00:00+03:00: inside the standard window.
    static let morning = Date(timeIntervalSince1970: 1_800_000_000)
    /// 21:30 East Africa Time on the same day.
    static let night = morning.addingTimeInterval(10.5 * 3_600)

    /// Two live firms with credits ("acme" with its own sender IDs, "beta" without), services and a dispatcher over
    /// `provider`, on a fresh SQLite store. The service and the dispatcher share kept opt-out lists that only a change
    /// they make themselves refreshes (the manual clock never lets them lapse).
    func withFirms(
        provider: RecordingProvider, at start: Date = morning,
        _ body: @Sendable (SQLStore, [Firm], SMSService, SMSDispatcher, ManualTime) async throws -> Void
    ) async throws {
        let app = TestApp(time: ManualTime(start))
        try await app.admin { admin, store in
            var firms: [Firm] = []
            for slug in ["acme", "beta"] {
                _ = try await admin.createFirm(try NewFirm(slug: slug, name: slug, smsRate: KES(cents: 100)))
                _ = try await admin.adjustCredits(firm: slug, amount: Credits(whole: 100), reason: "test")
            }
            let ids = SenderIDs(transactional: try SenderID("ACME"), promotional: try SenderID("ACMEInfo"))
            firms.append(try await admin.update("acme", FirmUpdate(senderIDs: ids)))
            firms.append(try await admin.firm("beta"))
            let optOutCache = OptOutCache(lifetime: 60)
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(), logger: Logger(label: "test"),
                optOutCache: optOutCache)
            try await body(store, firms, SMSService(store: store, time: app.time, optOutCache: optOutCache), dispatcher, app.time)
        }
    }

    @Test func eachFirmAndCategoryGoesOutInItsOwnCallFromItsOwnSenderID() async throws {
        let provider = RecordingProvider()
        try await withFirms(provider: provider) { store, firms, sms, dispatcher, _ in
            for firm in firms {
                for category in SMSCategory.allCases {
                    _ = try await sms.send(
                        SMSRequest(message: "Karibu", recipients: ["0712345678", "0722000111"], category: category.rawValue), firm: firm)
                }
            }
            #expect(try await dispatcher.runOnce() == 8)
            let calls = provider.calls.withLock { $0 }.sorted { ($0.sender ?? "", $0.text) < ($1.sender ?? "", $1.text) }
            #expect(
                calls == [
                    .init(sender: nil, text: "Karibu", recipients: ["254712345678", "254722000111"]),
                    .init(sender: nil, text: "Karibu STOP *456*9*5#", recipients: ["254712345678", "254722000111"]),
                    .init(sender: "ACME", text: "Karibu", recipients: ["254712345678", "254722000111"]),
                    .init(sender: "ACMEInfo", text: "Karibu STOP *456*9*5#", recipients: ["254712345678", "254722000111"]),
                ])
            let promotional = try await store.firstPageMessages(
                firmID: firms[0].id, filter: MessageFilter(channel: .sms, category: .promotional), limit: 10, startingAfter: nil)
            #expect(promotional.count == 2 && promotional.allSatisfy { $0.category == .promotional && $0.segments == 1 })
        }
    }

    @Test func promotionalSMSAcceptedInQuietHoursWaitForTheOpeningAndTransactionalOnesDoNot() async throws {
        let provider = RecordingProvider()
        try await withFirms(provider: provider, at: Self.night) { store, firms, sms, dispatcher, time in
            let promo = try await sms.send(SMSRequest(message: "Sale", recipients: ["0712345678"], category: "promotional"), firm: firms[1])
            let receipt = try await sms.send(SMSRequest(message: "Receipt", recipients: ["0712345678"]), firm: firms[1])
            let opening = Self.morning.addingTimeInterval(20 * 3_600)  // 07:00 EAT the next day
            #expect(promo.scheduledFor == opening)
            #expect(receipt.scheduledFor == Self.night)
            #expect(try await dispatcher.runOnce() == 1)
            #expect(provider.calls.withLock { $0.map(\.text) } == ["Receipt"])
            time.set(opening.addingTimeInterval(-1))
            #expect(try await dispatcher.runOnce() == 0)
            time.set(opening)
            #expect(try await dispatcher.runOnce() == 1)
            #expect(provider.calls.withLock { $0.map(\.text) } == ["Receipt", "Sale STOP *456*9*5#"])
            let sent = try #require(try await store.message(firmID: firms[1].id, id: promo.messages[0].id))
            #expect(sent.sentAt == opening)
        }
    }

    @Test func aPromotionalMessageClaimedLateIsHeldNotSentAtNight() async throws {
        let provider = RecordingProvider()
        try await withFirms(provider: provider, at: Self.morning.addingTimeInterval(7.9 * 3_600)) { store, firms, sms, dispatcher, time in
            // Accepted at 18:54 EAT, inside the window, but the dispatcher only gets to it at 19:30.
            let promo = try await sms.send(SMSRequest(message: "Sale", recipients: ["0712345678"], category: "promotional"), firm: firms[1])
            time.set(Self.morning.addingTimeInterval(8.5 * 3_600))
            #expect(try await dispatcher.runOnce() == 1)
            #expect(provider.calls.withLock { $0.isEmpty })
            let held = try #require(try await store.message(firmID: firms[1].id, id: promo.messages[0].id))
            #expect(held.status == .pending && held.response == "Held for quiet hours" && held.attempts == 0)
            #expect(held.dueAt == Self.morning.addingTimeInterval(20 * 3_600))
            #expect(try await store.firm(id: firms[1].id)?.smsCredits == Credits(whole: 100))
        }
    }

    @Test func aFirmsOwnWindowNarrowsThePlatforms() async throws {
        let provider = RecordingProvider()
        try await withFirms(provider: provider, at: Self.morning.addingTimeInterval(-2 * 3_600)) { store, firms, sms, dispatcher, _ in
            // 09:00 EAT; the firm sends promotions from 10:00 only.
            let firm = try await store.updateFirm(id: firms[0].id, FirmUpdate(promotionalWindow: .some(try SendingWindow(parsing: "10:00-16:00"))))
            let promo = try await sms.send(SMSRequest(message: "Sale", recipients: ["0712345678"], category: "promotional"), firm: firm)
            #expect(promo.scheduledFor == Self.morning.addingTimeInterval(-3_600))
            let other = try await sms.send(SMSRequest(message: "Sale", recipients: ["0712345678"], category: "promotional"), firm: firms[1])
            #expect(other.scheduledFor == Self.morning.addingTimeInterval(-2 * 3_600))
        }
    }

    @Test func aBlacklistedNumberIsOptedOutAndSkippedNextTime() async throws {
        let provider = RecordingProvider(blacklisted: ["254700000406"])
        try await withFirms(provider: provider) { store, firms, sms, dispatcher, _ in
            let first = try await sms.send(SMSRequest(message: "Hi", recipients: ["0700000406", "0712345678"]), firm: firms[0])
            #expect(try await dispatcher.runOnce() == 2)
            let refused = try #require(try await store.message(firmID: firms[0].id, id: first.messages[0].id))
            #expect(refused.status == .failed && refused.response == "UserInBlacklist")
            let listed = try await store.optOuts(firmID: firms[0].id, limit: 10, startingAfter: nil)
            #expect(listed.map(\.phone) == ["254700000406"] && listed.first?.source == .blacklisted)
            // Only this firm's list: the other firm still texts the number.
            #expect(try await store.optOuts(firmID: firms[1].id, limit: 10, startingAfter: nil).isEmpty)
            let second = try await sms.send(SMSRequest(message: "Hi again", recipients: ["+254 700 000 406", "0712345678"]), firm: firms[0])
            #expect(second.scheduled == 1)
            #expect(second.skipped == [SkippedRecipient(recipient: "254700000406", reason: .optedOut)])
            // Refunded: two charged, one refunded.
            #expect(try await store.firm(id: firms[0].id)?.smsCredits == Credits(whole: 99))
        }
    }

    @Test func aQueuedMessageToANumberOptedOutSinceFailsWithoutCharge() async throws {
        let provider = RecordingProvider()
        try await withFirms(provider: provider) { store, firms, sms, dispatcher, _ in
            let sent = try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678", "0722000111"]), firm: firms[0])
            try await store.addOptOuts([FirmPhone(firmID: firms[0].id, phone: "254712345678")], source: .api, now: Self.morning)
            #expect(try await dispatcher.runOnce() == 2)
            let failed = try #require(try await store.message(firmID: firms[0].id, id: sent.messages[0].id))
            #expect(failed.status == .failed && failed.response == "Opted out")
            #expect(provider.calls.withLock { $0.map(\.recipients) } == [["254722000111"]])
            #expect(try await store.firm(id: firms[0].id)?.smsCredits == Credits(whole: 99))
            #expect(try await store.events(firmID: firms[0].id, messageID: failed.id).map(\.response) == ["Opted out"])
        }
    }

    @Test func aChargedMessageWaitingToRetryToANumberOptedOutSinceFailsAndIsRefunded() async throws {
        let provider = BusyOnceProvider()
        let app = TestApp(time: ManualTime(Self.morning))
        try await app.admin { admin, store in
            let firm = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 100), reason: "test")
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(), logger: Logger(label: "test"))
            let sent = try await SMSService(store: store, time: app.time).send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm)
            #expect(try await dispatcher.runOnce() == 1)
            let waiting = try #require(try await store.message(firmID: firm.id, id: sent.messages[0].id))
            #expect(waiting.status == .processing)
            #expect(waiting.stage == .charged)
            #expect(waiting.attempts == 1)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 99))
            try await store.addOptOuts([FirmPhone(firmID: firm.id, phone: "254712345678")], source: .api, now: Self.morning)
            app.time.set(Self.morning.addingTimeInterval(3_600))
            #expect(try await dispatcher.runOnce() == 1)
            let failed = try #require(try await store.message(firmID: firm.id, id: sent.messages[0].id))
            #expect(failed.status == .failed && failed.response == "Opted out")
            #expect(provider.calls.load(ordering: .relaxed) == 1)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 100))
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits(whole: 100))
        }
    }

    @Test func aScheduledPromotionToAContactWhoWithdrewConsentSinceFailsUnsent() async throws {
        let provider = RecordingProvider()
        try await withFirms(provider: provider) { store, firms, sms, dispatcher, _ in
            let firm = try await store.updateFirm(id: firms[1].id, FirmUpdate(promotionalConsentRequired: true))
            let consenting = { (phone: String, consent: Bool) in
                Contact(
                    kind: .client, firstName: "A", lastName: "B", phone: PhoneNumber(phone), email: nil, accountBalance: nil,
                    promotionalConsent: consent, consentSource: "form")
            }
            _ = try await store.upsertClients(
                firmID: firm.id, [consenting("0712345678", true), consenting("0722000111", true)], now: Self.morning)
            let sent = try await sms.send(
                SMSRequest(message: "Sale", recipients: ["0712345678", "0722000111"], category: "promotional"), firm: firm)
            #expect(sent.scheduled == 2)
            // One of them withdraws consent before the dispatcher gets to the messages.
            _ = try await store.upsertClients(firmID: firm.id, [consenting("0712345678", false)], now: Self.morning)
            #expect(try await dispatcher.runOnce() == 2)
            let withdrawn = try #require(try await store.message(firmID: firm.id, id: sent.messages[0].id))
            #expect(withdrawn.status == .failed && withdrawn.response == "No promotional consent")
            #expect(provider.calls.withLock { $0.map(\.recipients) } == [["254722000111"]])
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 99))
        }
    }

    @Test func aPromotionWhoseCallComesAfterQuietHoursBeganIsHeldNotSent() async throws {
        // 18:59:50 EAT: both messages are claimed inside the window; the receipt's call takes until 19:00:30.
        let start = Self.morning.addingTimeInterval(8 * 3_600 - 10)
        let app = TestApp(time: ManualTime(start))
        let provider = SlowFirstCallProvider(time: app.time, until: start.addingTimeInterval(40))
        try await app.admin { admin, store in
            let firm = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 100), reason: "test")
            var settings = DispatcherSettings()
            settings.providerConcurrency = 1
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(), settings: settings,
                logger: Logger(label: "test"))
            let sms = SMSService(store: store, time: app.time)
            _ = try await sms.send(SMSRequest(message: "Receipt", recipients: ["0712345678"]), firm: firm)
            let promo = try await sms.send(SMSRequest(message: "Sale", recipients: ["0712345678"], category: "promotional"), firm: firm)
            #expect(try await dispatcher.runOnce() == 2)
            #expect(provider.texts.withLock { $0 } == ["Receipt"])
            let held = try #require(try await store.message(firmID: firm.id, id: promo.messages[0].id))
            // Charged when it was claimed, so it stays processing (statuses never go back) and is not charged again.
            #expect(held.status == .processing && held.stage == .charged)
            #expect(held.response == "Held for quiet hours" && held.attempts == 0)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 98))
            #expect(held.dueAt == Self.morning.addingTimeInterval(20 * 3_600))  // 07:00 the next day
        }
    }

    @Test func everyRecipientOptedOutIsA422NamingThem() async throws {
        try await withFirms(provider: RecordingProvider()) { store, firms, sms, _, _ in
            try await store.addOptOuts([FirmPhone(firmID: firms[0].id, phone: "254712345678")], source: .api, now: Self.morning)
            await #expect {
                try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firms[0])
            } throws: { error in
                (error as? DomainError)?.code == .validation && (error as? DomainError)?.fields["recipients"] == ["254712345678: opted_out"]
            }
        }
    }
}

/// A provider that answers its first call "busy" (transient) and accepts every call after; counts its calls.
final class BusyOnceProvider: SMSProvider {
    let calls = Atomic(0)

    func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        let first = calls.add(1, ordering: .relaxed).newValue == 1
        return Dictionary(
            uniqueKeysWithValues: recipients.map {
                (
                    $0.messageID,
                    first ? .transient(reason: "Provider busy", retryAfter: nil) : .accepted(providerMessageID: "AT-\($0.messageID)", report: nil)
                )
            })
    }
}

/// A provider whose first call takes until `until` on the manual clock; records each call's text.
final class SlowFirstCallProvider: SMSProvider {
    let time: ManualTime
    let until: Date
    let texts = Mutex<[String]>([])

    init(time: ManualTime, until: Date) {
        self.time = time
        self.until = until
    }

    func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        if texts.withLock({ texts in
            texts.append(text)
            return texts.count == 1
        }) {
            time.set(until)
        }
        return Dictionary(uniqueKeysWithValues: recipients.map { ($0.messageID, .accepted(providerMessageID: "AT-\($0.messageID)", report: nil)) })
    }
}
