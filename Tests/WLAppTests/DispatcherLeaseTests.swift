import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

/// A provider that takes `step` seconds of the test clock per call, records every message it sends, and runs
/// `duringCall` (once, at call number `at`) while a call is under way.
final class SlowSMSProvider: SMSProvider {
    let time: ManualTime
    let step: TimeInterval
    let sent = Mutex<[Int64]>([])
    let calls = Mutex(0)
    let duringCall = Mutex<(at: Int, action: @Sendable () async -> Void)?>(nil)
    let recipientsPerCall: Int

    init(time: ManualTime, step: TimeInterval, recipientsPerCall: Int = .max) {
        self.time = time
        self.step = step
        self.recipientsPerCall = recipientsPerCall
    }

    func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        time.set(time.now.addingTimeInterval(step))
        sent.withLock { $0 += recipients.map(\.messageID) }
        let call = calls.withLock { calls in
            calls += 1
            return calls
        }
        if let hook = duringCall.withLock({ $0 }), hook.at == call { await hook.action() }
        let delivered = DeliveryReport(status: .delivered, response: "Success", network: nil)
        return Dictionary(
            uniqueKeysWithValues: recipients.map { ($0.messageID, SendOutcome.accepted(providerMessageID: "P\($0.messageID)", report: delivered)) })
    }
}

/// Lets calls through once `needed` of them have arrived (or once opened), to see them in flight together.
final class CallGate: Sendable {
    let needed: Int
    private let state = Mutex<(arrived: Int, inFlight: Int, most: Int, waiting: [CheckedContinuation<Void, Never>])>((0, 0, 0, []))

    init(needed: Int) { self.needed = needed }

    /// The most calls seen in flight at once.
    var most: Int { state.withLock { $0.most } }

    func pass<T: Sendable>(_ body: () async -> T) async -> T {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                state.arrived += 1
                state.inFlight += 1
                state.most = max(state.most, state.inFlight)
                state.waiting.append(continuation)
                guard state.arrived >= needed else { return [CheckedContinuation<Void, Never>]() }
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiting in ready { waiting.resume() }
        }
        let result = await body()
        state.withLock { $0.inFlight -= 1 }
        return result
    }

    /// Lets every waiting and later call through (a guard against a dispatcher that never runs calls together).
    func open() {
        let ready = state.withLock { state in
            state.arrived = max(state.arrived, needed)
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiting in ready { waiting.resume() }
    }
}

@Suite struct DispatcherLeaseTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A lease of 60 s, `concurrency` provider calls at once.
    static func settings(concurrency: Int) -> DispatcherSettings {
        var settings = DispatcherSettings()
        settings.lease = 60
        settings.providerConcurrency = concurrency
        return settings
    }

    /// A live firm with 10 credits, `texts` messages each with its own text, and a dispatcher (lease 60 s) over
    /// `provider`, on the clock `time`.
    func withBatch(
        texts: Int, time: ManualTime = ManualTime(start), provider: any SMSProvider, concurrency: Int = 1, logger: Logger = Logger(label: "test"),
        _ body: @Sendable (SQLStore, Firm, [Int64], SMSDispatcher) async throws -> Void
    ) async throws {
        let app = TestApp(time: time)
        try await app.admin { admin, store in
            let created = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 10), reason: "test")
            let firm = try #require(try await store.firm(id: created.id))
            let sms = SMSService(store: store, time: app.time)
            var ids: [Int64] = []
            for index in 0..<texts {
                ids += try await sms.send(SMSRequest(message: "Text \(index)", recipients: ["071234567\(index)"]), firm: firm).messages.map(\.id)
            }
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(),
                settings: Self.settings(concurrency: concurrency),
                logger: logger)
            try await body(store, firm, ids, dispatcher)
        }
    }

    @Test func aBatchSlowerThanItsLeaseKeepsItSoASecondInstanceClaimsNothingAndEachMessageIsSentOnce() async throws {
        let time = ManualTime(Self.start)
        let provider = SlowSMSProvider(time: time, step: 25)
        try await withBatch(texts: 4, time: time, provider: provider) { store, firm, ids, dispatcher throws in
            let second = SMSDispatcher(
                store: store, time: time, live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(),
                settings: Self.settings(concurrency: 1),
                logger: Logger(label: "second"))
            let secondClaimed = Mutex<Int?>(nil)
            // 75 s in, past the 60 s the batch was claimed for: the second instance tries its round.
            provider.duringCall.withLock {
                $0 = (
                    3,
                    {
                        let claimed = try? await second.runOnce()
                        secondClaimed.withLock { $0 = claimed }
                    }
                )
            }
            #expect(try await dispatcher.runOnce() == 4)
            #expect(secondClaimed.withLock { $0 } == 0)
            #expect(provider.sent.withLock { $0 } == ids)
            for id in ids {
                #expect(try await store.message(firmID: firm.id, id: id)?.status == .delivered)
            }
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 6))
        }
    }

    @Test func noSendStartsOnceTheLeaseIsLostAndTheStaleOutcomeIsDroppedAndCounted() async throws {
        let time = ManualTime(Self.start)
        let provider = SlowSMSProvider(time: time, step: 200)
        let capture = LogCapture()
        try await withBatch(texts: 3, time: time, provider: provider, logger: capture.logger()) { store, firm, ids, dispatcher throws in
            let thief = Mutex<[Int64]>([])
            // The first call outlasts the lease (200 s > 60 s) and another worker takes the whole batch over.
            provider.duringCall.withLock {
                $0 = (
                    1,
                    {
                        let claimed = (try? await store.claimDue(channel: .sms, limit: 10, owner: "other", lease: 600, now: time.now)) ?? []
                        thief.withLock { $0 = claimed.map(\.id) }
                    }
                )
            }
            #expect(try await dispatcher.runOnce() == 3)
            #expect(thief.withLock { $0 } == ids)
            #expect(provider.sent.withLock { $0 } == [ids[0]])
            for id in ids {
                let message = try #require(try await store.message(firmID: firm.id, id: id))
                #expect(message.stage == .charged)
                #expect(message.providerMessageID == nil)
            }
            let lines = capture.all
            #expect(lines.contains { $0.hasPrefix("warning send outcomes dropped") && $0.contains("count=1") })
            #expect(lines.contains { $0.hasPrefix("info lease lost") && $0.contains("count=2") })
        }
    }

    @Test func aTextToMoreRecipientsThanOneProviderCallTakesStartsNoCallOnceTheLeaseIsLost() async throws {
        let time = ManualTime(Self.start)
        let provider = SlowSMSProvider(time: time, step: 200, recipientsPerCall: 1)
        try await withBatch(texts: 0, time: time, provider: provider) { store, firm, _, dispatcher throws in
            let ids = try await SMSService(store: store, time: time).send(
                SMSRequest(message: "One text", recipients: ["0712345670", "0712345671", "0712345672"]), firm: firm
            ).messages.map(\.id)
            let thief = Mutex<[Int64]>([])
            // The first call outlasts the lease (200 s > 60 s) and another worker takes the batch over meanwhile.
            provider.duringCall.withLock {
                $0 = (
                    1,
                    {
                        let claimed = (try? await store.claimDue(channel: .sms, limit: 10, owner: "other", lease: 600, now: time.now)) ?? []
                        thief.withLock { $0 = claimed.map(\.id) }
                    }
                )
            }
            #expect(try await dispatcher.runOnce() == 3)
            #expect(thief.withLock { $0 } == ids)
            // One call per recipient, and none after the first: the two others were never handed to the provider.
            #expect(provider.sent.withLock { $0 } == [ids[0]])
            #expect(provider.calls.withLock { $0 } == 1)
        }
    }

    @Test func onceCancelledNoFurtherSendStartsAndWhatWasNotTriedKeepsItsAttempts() async throws {
        let time = ManualTime(Self.start)
        let provider = SlowSMSProvider(time: time, step: 1)
        try await withBatch(texts: 5, time: time, provider: provider) { store, firm, ids, dispatcher throws in
            let round = Mutex<Task<Int, any Error>?>(nil)
            provider.duringCall.withLock {
                $0 = (
                    at: 1,
                    action: {
                        while round.withLock({ $0 }) == nil { await Task.yield() }
                        round.withLock { $0 }?.cancel()
                    }
                )
            }
            let task = Task { try await dispatcher.runOnce() }
            round.withLock { $0 = task }
            _ = try? await task.value
            let sent = provider.sent.withLock { $0 }
            #expect(sent.count == 1)
            for id in ids where !sent.contains(id) {
                let message = try #require(try await store.message(firmID: firm.id, id: id))
                #expect(message.attempts == 0 && message.providerMessageID == nil)
            }
        }
    }

    @Test func providerCallsOfABatchRunTogetherUpToTheSetting() async throws {
        let gate = CallGate(needed: 3)
        try await withBatch(texts: 7, provider: GatedProvider(gate: gate), concurrency: 3) { store, firm, ids, dispatcher throws in
            // Only a guard: a dispatcher sending one call at a time would otherwise wait here for ever.
            let guardTask = Task {
                try? await Task.sleep(for: .seconds(20))
                gate.open()
            }
            defer { guardTask.cancel() }
            #expect(try await dispatcher.runOnce() == 7)
            #expect(gate.most == 3)
            for id in ids {
                #expect(try await store.message(firmID: firm.id, id: id)?.providerMessageID == "P\(id)")
            }
        }
    }
}

extension DispatcherLeaseTests {
    @Test func batchesOfOneInstanceOverlapUpToTheSettingAndEachMessageIsSentOnce() async throws {
        // Three batches of two, one provider call at a time per batch: the gate opens only when three batches are
        // in flight together.
        let gate = CallGate(needed: 3)
        let provider = GatedProvider(gate: gate)
        try await withBatch(texts: 6, provider: provider) { store, firm, ids, _ throws in
            var settings = Self.settings(concurrency: 1)
            settings.batchSize = 2
            settings.parallelBatches = 3
            let dispatcher = SMSDispatcher(
                store: store, time: ManualTime(Self.start), live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(), settings: settings,
                logger: Logger(label: "test"))
            let guardTask = Task {
                try? await Task.sleep(for: .seconds(20))
                gate.open()
            }
            defer { guardTask.cancel() }
            let running = Task { try await dispatcher.run() }
            for _ in 0..<6_000 {
                let sent = try await ids.asyncMap { try await store.message(firmID: firm.id, id: $0)?.providerMessageID }
                if sent.allSatisfy({ $0 != nil }) { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            running.cancel()
            _ = try? await running.value
            #expect(gate.most == 3)
            #expect(provider.sent.withLock { $0.sorted() } == ids.sorted())
        }
    }
}

/// A provider whose calls pass through a ``CallGate``.
final class GatedProvider: SMSProvider {
    let gate: CallGate
    /// Every message sent, in the order the calls came.
    let sent = Mutex<[Int64]>([])

    init(gate: CallGate) { self.gate = gate }

    func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        sent.withLock { $0 += recipients.map(\.messageID) }
        return await gate.pass {
            Dictionary(uniqueKeysWithValues: recipients.map { ($0.messageID, .accepted(providerMessageID: "P\($0.messageID)", report: nil)) })
        }
    }
}
