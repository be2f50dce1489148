import Foundation
import Logging
import ServiceLifecycle
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

@Suite struct HousekeeperTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let logger = Logger(label: "test")

    /// How many leader lease rows `owner` holds.
    func leases(_ store: SQLStore, owner: String) async throws -> Int {
        try await store.database.read { try await $0.query("SELECT owner FROM leader_leases WHERE owner = $1", [.text(owner)]) }.count
    }

    @Test func onlyTheLeaseHolderRunsAPassAndAnotherTakesOverWhenItLapses() async throws {
        let app = TestApp(time: ManualTime(Self.start))
        try await app.admin { _, store async throws in
            let first = Housekeeper(store: store, time: app.time, logger: Self.logger)
            let second = Housekeeper(store: store, time: app.time, logger: Self.logger)
            #expect(try await first.runOnce() != nil)
            #expect(try await second.runOnce() == nil)
            app.time.set(Self.start.addingTimeInterval(179))  // the lease is three 60 s intervals
            #expect(try await second.runOnce() == nil)
            #expect(try await first.runOnce() != nil)  // renewed until 359 s
            app.time.set(Self.start.addingTimeInterval(358))
            #expect(try await second.runOnce() == nil)
            app.time.set(Self.start.addingTimeInterval(359))
            #expect(try await second.runOnce() != nil)
            #expect(try await first.runOnce() == nil)
        }
    }

    @Test func aMessageWhoseReportNeverCameExpiresAfter72HoursUnrefundedAndIsDeletedAfterAYear() async throws {
        let provider = ScriptedProvider { _, message in .accepted(providerMessageID: "AT-\(message.messageID)", report: nil) }
        let app = TestApp(time: ManualTime(Self.start))
        try await app.admin { admin, store async throws in
            let created = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 100)))
            _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 5), reason: "test")
            try await store.setWebhook(firmID: created.id, WebhookSettings(url: "https://a.example/hook", secret: nil), now: Self.start)
            let firm = try #require(try await store.firm(id: created.id))
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: provider, sandbox: SandboxSMSProvider(), signal: WorkSignal(), logger: Self.logger)
            let sent = try await SMSService(store: store, time: app.time).send(SMSRequest(message: "Hi", recipients: ["0712345678"]), firm: firm)
            let id = sent.messages[0].id
            #expect(try await dispatcher.runOnce() == 1)
            #expect(try await store.message(firmID: firm.id, id: id)?.status == .processing)
            let housekeeper = Housekeeper(store: store, time: app.time, logger: Self.logger)

            app.time.set(Self.start.addingTimeInterval(72 * 3_600))
            #expect(try await housekeeper.runOnce()?.expired == 0)
            app.time.set(Self.start.addingTimeInterval(72 * 3_600 + 1))
            #expect(try await housekeeper.runOnce()?.expired == 1)
            let expired = try #require(try await store.message(firmID: firm.id, id: id))
            #expect(expired.status == .failed)
            #expect(expired.response == "Expired")
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 4))
            let deliveries = try await store.firstPageDeliveries(
                firmID: firm.id, filter: WebhookDeliveryFilter(messageID: id), limit: 10, startingAfter: nil)
            #expect(deliveries.map(\.event).contains("communication.sms.failed"))

            // Its failed event's delivery was never made (no deliverer runs here): the message stays until that
            // delivery has been due for a whole retention period.
            app.time.set(Self.start.addingTimeInterval(366 * 86_400))
            #expect(try await housekeeper.runOnce()?.messages == 0)
            app.time.set(Self.start.addingTimeInterval(72 * 3_600 + 366 * 86_400))
            #expect(try await housekeeper.runOnce()?.messages == 1)
            #expect(try await store.message(firmID: firm.id, id: id) == nil)
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits(whole: 4))
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).map(\.kind) == [.debit, .adjustment])
        }
    }

    @Test func gracefulShutdownEndsTheWaitBetweenPassesAtOnceAndGivesTheLeaseUp() async throws {
        let app = TestApp(time: ManualTime(Self.start))
        try await app.admin { _, store async throws in
            let housekeeper = Housekeeper(store: store, time: app.time, logger: Self.logger)
            let group = ServiceGroup(configuration: .init(services: [housekeeper], logger: Self.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var polls = 0
                while try await leases(store, owner: housekeeper.owner) == 0 && polls < 500 {
                    polls += 1
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(try await leases(store, owner: housekeeper.owner) == 1)
                let asked = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(ContinuousClock.now - asked < .seconds(10))  // not the 60 s interval
            }
            #expect(try await leases(store, owner: housekeeper.owner) == 0)
        }
    }
}
