import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

/// A provider that answers from a script and records every call.
final class ScriptedProvider: SMSProvider {
    let calls = Mutex<[(text: String, recipients: [String])]>([])
    let script: @Sendable (_ call: Int, _ message: OutgoingSMS) -> SendOutcome

    init(_ script: @escaping @Sendable (_ call: Int, _ message: OutgoingSMS) -> SendOutcome) {
        self.script = script
    }

    func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        let call = calls.withLock { calls in
            calls.append((text, recipients.map(\.recipient)))
            return calls.count
        }
        return Dictionary(uniqueKeysWithValues: recipients.map { ($0.messageID, script(call, $0)) })
    }
}

@Suite struct DispatcherTests {
    init() {}

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A live firm with `credits`, an SMS service and a dispatcher over `provider`, on a fresh SQLite store.
    func withDispatcher(
        credits: Int64 = 10, provider: any SMSProvider, settings: DispatcherSettings = DispatcherSettings(),
        _ body: @Sendable (SQLStore, Firm, SMSService, SMSDispatcher, ManualTime) async throws -> Void
    ) async throws {
        let app = TestApp(time: ManualTime(Self.start))
        try await app.admin { admin, store in
            let firm = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            if credits > 0 { _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: credits), reason: "test") }
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(), settings: settings,
                logger: Logger(label: "test"))
            try await body(store, try #require(try await store.firm(id: firm.id)), SMSService(store: store, time: app.time), dispatcher, app.time)
        }
    }

    @Test func transientFailuresRetryWithGrowingBackoffThenSucceed() async throws {
        let provider = ScriptedProvider { call, message in
            call < 3
                ? .transient(reason: "HTTP 503", retryAfter: nil)
                : .accepted(
                    providerMessageID: "AT-\(message.messageID)", report: DeliveryReport(status: .delivered, response: "Success", network: nil))
        }
        try await withDispatcher(provider: provider) { store, firm, sms, dispatcher, time in
            let sent = try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm)
            let id = sent.messages[0].id
            #expect(try await dispatcher.runOnce() == 1)
            let first = try #require(try await store.message(firmID: firm.id, id: id))
            #expect(first.status == .processing)
            #expect(first.attempts == 1)
            #expect((4...6).contains(first.dueAt.timeIntervalSince(Self.start)))
            #expect(try await dispatcher.runOnce() == 0)
            time.set(first.dueAt)
            #expect(try await dispatcher.runOnce() == 1)
            let second = try #require(try await store.message(firmID: firm.id, id: id))
            #expect((8...12).contains(second.dueAt.timeIntervalSince(first.dueAt)))
            time.set(second.dueAt)
            #expect(try await dispatcher.runOnce() == 1)
            let done = try #require(try await store.message(firmID: firm.id, id: id))
            #expect(done.status == .delivered)
            #expect(done.providerMessageID == "AT-\(id)")
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 9))
            #expect(try await store.events(firmID: firm.id, messageID: id).map(\.status) == [.processing, .delivered])
        }
    }

    @Test func anAbsurdRetryAfterWaitsAnHourInsteadOfOverflowingTheDueTime() async throws {
        try await withDispatcher(provider: ScriptedProvider { _, _ in .transient(reason: "slow down", retryAfter: 1e17) }) {
            store, firm, sms, dispatcher, time in
            let id = try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm).messages[0].id
            #expect(try await dispatcher.runOnce() == 1)
            let message = try #require(try await store.message(firmID: firm.id, id: id))
            #expect(message.status == .processing && message.response == "slow down")
            #expect(message.dueAt.timeIntervalSince(time.now) >= 3_599 && message.dueAt.timeIntervalSince(time.now) <= 3_601)
        }
    }

    @Test func givingUpAfterTheLastAttemptRefunds() async throws {
        var settings = DispatcherSettings()
        settings.maxAttempts = 3
        try await withDispatcher(provider: ScriptedProvider { _, _ in .transient(reason: "timeout", retryAfter: 30) }, settings: settings) {
            store, firm, sms, dispatcher, time in
            let id = try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm).messages[0].id
            for _ in 0..<3 {
                #expect(try await dispatcher.runOnce() == 1)
                let message = try #require(try await store.message(firmID: firm.id, id: id))
                if !message.status.isFinal {
                    #expect(message.dueAt.timeIntervalSince(time.now) >= 30)  // Retry-After is respected
                }
                time.set(message.dueAt)
            }
            let failed = try #require(try await store.message(firmID: firm.id, id: id))
            #expect(failed.status == .failed)
            #expect(failed.response == "Gave up after 3 attempts: timeout")
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 10))
            #expect(try await store.ledger(firmID: firm.id, limit: 5, startingAfter: nil).map(\.kind) == [.refund, .debit, .adjustment])
        }
    }

    @Test func aRejectedMessageFailsWithTheProvidersReasonAndIsRefunded() async throws {
        try await withDispatcher(provider: ScriptedProvider { _, _ in .rejected(reason: "InvalidPhoneNumber") }) { store, firm, sms, dispatcher, _ in
            let id = try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm).messages[0].id
            try await dispatcher.runOnce()
            let message = try #require(try await store.message(firmID: firm.id, id: id))
            #expect(message.status == .failed)
            #expect(message.response == "InvalidPhoneNumber")
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 10))
        }
    }

    @Test func identicalTextsGoOutInOneProviderCall() async throws {
        let provider = ScriptedProvider { _, message in .accepted(providerMessageID: "P\(message.messageID)", report: nil) }
        try await withDispatcher(provider: provider) { _, firm, sms, dispatcher, _ in
            _ = try await sms.send(SMSRequest(message: "Same for all", recipients: ["0712345678", "0722000111", "0733000111"]), firm: firm)
            _ = try await sms.send(SMSRequest(message: "Hi {first_name}", recipients: ["0712345678", "0722000111"]), firm: firm)
            try await dispatcher.runOnce()
            let calls = provider.calls.withLock { $0 }
            #expect(calls.count == 2)
            #expect(calls.first { $0.text == "Same for all" }?.recipients.count == 3)
            #expect(calls.first { $0.text == "Hi Customer" }?.recipients.count == 2)
        }
    }

    @Test func theClaimDoublesWhileBatchesFinishWithinTheTargetUpToTheMaximum() async throws {
        let provider = ScriptedProvider { _, message in .accepted(providerMessageID: "P\(message.messageID)", report: nil) }
        var settings = DispatcherSettings()
        (settings.batchSize, settings.maxBatchSize, settings.batchTarget) = (5, 20, .seconds(3_600))
        try await withDispatcher(credits: 100, provider: provider, settings: settings) { _, firm, sms, dispatcher, _ in
            let recipients = (0..<60).map { "07123456" + String(format: "%02d", $0) }
            _ = try await sms.send(SMSRequest(message: "Blast", recipients: recipients), firm: firm)
            var claims: [Int] = []
            for _ in 0..<6 { claims.append(try await dispatcher.runOnce()) }
            #expect(claims == [5, 10, 20, 20, 5, 0])
            #expect(provider.calls.withLock { $0.map(\.recipients.count) } == [5, 10, 20, 20, 5])
        }
    }

    @Test func aCrashedWorkersMessagesAreTakenBackAfterTheLeaseAndChargedOnce() async throws {
        let provider = ScriptedProvider { _, message in
            .accepted(providerMessageID: "P\(message.messageID)", report: DeliveryReport(status: .delivered, response: "Success", network: nil))
        }
        try await withDispatcher(provider: provider) { store, firm, sms, dispatcher, time in
            let id = try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm).messages[0].id
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "crashed", lease: 60, now: time.now)
            _ = try await store.record(.charge, messageID: id, leaseOwner: "crashed", now: time.now)
            #expect(try await dispatcher.runOnce() == 0)
            time.set(Self.start.addingTimeInterval(61))
            #expect(try await dispatcher.runOnce() == 1)
            #expect(try await store.message(firmID: firm.id, id: id)?.status == .delivered)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 9))
            #expect(provider.calls.withLock { $0.count } == 1)
        }
    }

    @Test func withoutALiveProviderLiveMessagesFailAndAreRefunded() async throws {
        try await withDispatcher(provider: UnconfiguredSMSProvider()) { store, firm, sms, dispatcher, _ in
            let id = try await sms.send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm).messages[0].id
            try await dispatcher.runOnce()
            #expect(try await store.message(firmID: firm.id, id: id)?.response == "No live SMS provider is configured")
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 10))
        }
    }
}
