import Logging
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

/// "Send first, tell after": the SMS dispatcher says when it works through a backlog at full speed, and the webhook
/// deliverer holds its next claim back until that ends.
@Suite struct WebhookYieldTests {
    @Test func theDispatcherReportsABacklogWhileItsClaimsComeBackFull() async throws {
        let app = TestApp(time: ManualTime())
        try await app.admin { admin, store in
            let firm = try await SandboxSeeder(store: store, time: app.time).seed()
            let numbers = (0..<5).map { "07\(String(format: "%08d", 24_000_000 + $0))" }
            _ = try await SMSService(store: store, time: app.time).send(SMSRequest(message: "Hi", recipients: numbers), firm: firm)
            var settings = DispatcherSettings()
            (settings.batchSize, settings.maxBatchSize) = (3, 3)
            let backlog = DispatchBacklog(patience: .seconds(1))
            let dispatcher = SMSDispatcher(
                store: store, time: app.time, live: UnconfiguredSMSProvider(), sandbox: SandboxSMSProvider(), signal: WorkSignal(),
                settings: settings, logger: Logger(label: "test"), backlog: backlog)
            #expect(try await dispatcher.runOnce() == 3)
            #expect(backlog.isBusy)
            #expect(try await dispatcher.runOnce() == 2)
            #expect(!backlog.isBusy)
        }
    }

    @Test func theDelivererClaimsNothingWhileTheBacklogLastsAndDeliversWhenItEnds() async throws {
        let transport = CrowdTransport(crowd: 1)
        let app = TestApp(time: ManualTime())
        try await app.admin { admin, store in
            try await dispatchSandboxBlast(recipients: 3, from: 25_000_000, admin: admin, store: store, time: app.time)
            let backlog = DispatchBacklog(patience: .seconds(60))
            backlog.note(claimed: 2_000, limit: 2_000, ceiling: 2_000)
            let deliverer = WebhookDeliverer(
                store: store, time: app.time, transport: transport, pollInterval: .milliseconds(5), backlog: backlog,
                logger: Logger(label: "test"))
            let running = Task { try await deliverer.run() }
            try await DispatchBacklogTests.until { backlog.isHoldingBack }
            #expect(transport.arrivals.withLock { $0.count } == 0)
            backlog.note(claimed: 0, limit: 2_000, ceiling: 2_000)
            #expect(backlog.isHoldingBack, "the full round still sends and records")
            backlog.roundEnded()
            try await DispatchBacklogTests.until { transport.arrivals.withLock { $0.count } == 6 }
            running.cancel()
            _ = try? await running.value
            #expect(transport.arrivals.withLock { $0.count } == 6)
        }
    }
}
