import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

/// An email transport in memory: records every email and answers from a script (delivered by default).
final class CapturingEmailTransport: EmailTransport {
    let sent = Mutex<[OutgoingEmail]>([])
    let answer: @Sendable (OutgoingEmail, Int) -> EmailSendOutcome

    init(answer: @escaping @Sendable (OutgoingEmail, Int) -> EmailSendOutcome = { _, _ in .delivered(response: "250 Ok") }) {
        self.answer = answer
    }

    func send(_ email: OutgoingEmail) async -> EmailSendOutcome {
        let attempt = sent.withLock { sent in
            sent.append(email)
            return sent.filter { $0.to == email.to }.count
        }
        return answer(email, attempt)
    }
}

/// A relay that takes 25 s (on the test clock) per email; at the fourth, another instance tries to claim due emails.
final class SlowRelay: EmailTransport {
    /// The clock and store of the app under test, set once it exists.
    let world = Mutex<(time: ManualTime, store: SQLStore)?>(nil)
    let sent = Mutex(0)
    let stolen = Mutex<[Int64]?>(nil)

    func send(_ email: OutgoingEmail) async -> EmailSendOutcome {
        guard let (time, store) = world.withLock({ $0 }) else { return .transient(response: "no world") }
        time.set(time.now.addingTimeInterval(25))
        let count = sent.withLock { count in
            count += 1
            return count
        }
        if count == 4 {
            let claimed = try? await store.claimDue(channel: .email, limit: 10, owner: "other-instance", lease: 60, now: time.now)
            stolen.withLock { $0 = claimed.map { $0.map(\.id) } }
        }
        return .delivered(response: "250 Ok")
    }
}

@Suite struct EmailDispatcherTests {
    func withLiveFirm(
        _ transport: any EmailTransport, defaultFrom: String? = nil, concurrency: Int = 4,
        _ body: @Sendable (EmailService, EmailDispatcher, Firm, SQLStore, ManualTime) async throws -> Void
    ) async throws {
        let app = TestApp(time: ManualTime(Date(timeIntervalSince1970: 1_781_100_300)))
        try await app.admin { admin, store in
            let firm = try await admin.createFirm(try NewFirm(slug: "mail", name: "Mail Ltd", smsRate: KES(cents: 100), mode: .live))
            var settings = DispatcherSettings()
            settings.maxAttempts = 3
            let dispatcher = EmailDispatcher(
                store: store, time: app.time, live: transport, sandbox: SandboxEmailTransport(),
                tracking: TrackingSettings(baseURL: "https://wl.example", keyring: TrackingKeyring(secret: "s")),
                defaultFrom: defaultFrom.flatMap(EmailAddress.init), signal: WorkSignal(), settings: settings, concurrency: concurrency,
                logger: Logger(label: "test"))
            try await body(EmailService(store: store, time: app.time), dispatcher, firm, store, app.time)
        }
    }

    @Test func theFirmsSenderIdentityIsUsedAndNoRequestCanChooseIt() async throws {
        let transport = CapturingEmailTransport()
        try await withLiveFirm(transport, defaultFrom: "noreply@wl.example") { email, dispatcher, firm, store, _ in
            _ = try await email.send(EmailRequest(subject: "S", message: "Hi", recipients: ["jane@example.com"]), firm: firm)
            try await dispatcher.runOnce()
            #expect(transport.sent.withLock { $0.first?.from.header } == "\"Mail Ltd\" <noreply@wl.example>")
            try await store.setEmailSettings(
                firmID: firm.id, EmailSettings(from: EmailAddress("billing@mail.example"), fromName: "Billing", replyTo: nil, tracking: false))
            _ = try await email.send(
                EmailRequest(subject: "S", message: #"<a href="https://x.example">x</a>"#, recipients: ["otieno@example.com"]), firm: firm)
            try await dispatcher.runOnce()
            let second = try #require(transport.sent.withLock { $0.last })
            #expect(second.from.header == "\"Billing\" <billing@mail.example>")
            #expect(second.data.contains("https://x.example"))
            #expect(!second.data.contains("/t/o/"))
        }
    }

    @Test func anAddressSuppressedAfterItsEmailWasAcceptedIsNotSentTo() async throws {
        let transport = CapturingEmailTransport()
        try await withLiveFirm(transport, defaultFrom: "noreply@wl.example") { email, dispatcher, firm, store, time in
            let later = "2026-06-12T09:00:00+03:00"
            let sent = try await email.send(
                EmailRequest(subject: "S", message: "Hi", recipients: ["Jane@Example.com", "joe@example.com"], sendAt: later), firm: firm)
            // A hard bounce from another blast suppresses Jane meanwhile.
            try await store.suppress(firmID: firm.id, address: "jane@example.com", reason: "550 5.1.1 No such user", now: time.now)
            time.set(Date(timeIntervalSince1970: 1_781_244_000))
            #expect(try await dispatcher.runOnce() == 2)
            #expect(transport.sent.withLock { $0.map(\.to.value) } == ["joe@example.com"])
            let jane = try #require(try await store.message(firmID: firm.id, id: sent.messages[0].id))
            #expect(jane.status == .failed && jane.response == "Suppressed")
        }
    }

    @Test func aRelaySlowerThanTheLeaseKeepsItsEmailsFromOtherInstances() async throws {
        let relay = SlowRelay()
        try await withLiveFirm(relay, defaultFrom: "noreply@wl.example", concurrency: 1) { email, dispatcher, firm, store, time in
            relay.world.withLock { $0 = (time, store) }
            let recipients = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
            let sent = try await email.send(EmailRequest(subject: "S", message: "Hi", recipients: recipients), firm: firm)
            // The lease is 60 s; the four emails take 100 s, one at a time.
            #expect(try await dispatcher.runOnce() == 4)
            #expect(relay.stolen.withLock { $0 } == [])
            for message in sent.messages {
                #expect(try await store.message(firmID: firm.id, id: message.id)?.status == .delivered)
            }
        }
    }

    @Test func withoutAnySenderALiveEmailFails() async throws {
        let transport = CapturingEmailTransport()
        try await withLiveFirm(transport) { email, dispatcher, firm, store, _ in
            let sent = try await email.send(EmailRequest(subject: "S", message: "Hi", recipients: ["jane@example.com"]), firm: firm)
            try await dispatcher.runOnce()
            let message = try #require(try await store.message(firmID: firm.id, id: sent.messages[0].id))
            #expect(message.status == .failed)
            #expect(message.response == "No sender address configured")
            #expect(transport.sent.withLock { $0.isEmpty })
        }
    }

    @Test func aTransientReplyIsRetriedWithBackoffAndARefusedRecipientIsSuppressed() async throws {
        let transport = CapturingEmailTransport { email, attempt in
            switch (email.to.value, attempt) {
            case ("flaky@example.com", 1): .transient(response: "451 4.3.0 Try again later")
            case ("nobody@example.com", _): .rejected(response: "550 5.1.1 No such user", suppress: true)
            case ("down@example.com", _): .transient(response: "Timed out waiting for the SMTP server (greeting)")
            default: .delivered(response: "250 2.0.0 Ok")
            }
        }
        try await withLiveFirm(transport, defaultFrom: "noreply@wl.example") { email, dispatcher, firm, store, time in
            let sent = try await email.send(
                EmailRequest(subject: "S", message: "Hi", recipients: ["flaky@example.com", "nobody@example.com", "down@example.com"]), firm: firm)
            let ids = sent.messages.map(\.id)
            try await dispatcher.runOnce()
            #expect(try await store.message(firmID: firm.id, id: ids[0])?.status == .processing)
            #expect(try await store.message(firmID: firm.id, id: ids[1])?.status == .failed)
            #expect(try await store.suppressions(firmID: firm.id).map(\.address) == ["nobody@example.com"])
            for _ in 0..<3 {
                time.set(time.now.addingTimeInterval(3600))
                try await dispatcher.runOnce()
            }
            let flaky = try #require(try await store.message(firmID: firm.id, id: ids[0]))
            #expect(flaky.status == .delivered)
            #expect(flaky.response == "250 2.0.0 Ok")
            let down = try #require(try await store.message(firmID: firm.id, id: ids[2]))
            #expect(down.status == .failed)
            #expect(down.response.hasPrefix("Gave up after 3 attempts: Timed out"))
            #expect(transport.sent.withLock { $0.filter { $0.to.value == "down@example.com" }.count } == 3)
            let again = try await email.send(
                EmailRequest(subject: "S", message: "Hi", recipients: ["nobody@example.com", "x@example.com"]), firm: firm)
            #expect(again.skipped == [SkippedRecipient(recipient: "nobody@example.com", reason: .suppressed)])
        }
    }

    @Test func anAnswerThatCannotBeRecordedCostsOnlyItsOwnEmailASecondSendNotTheWholeBatch() async throws {
        let transport = CapturingEmailTransport()
        try await withLiveFirm(transport, defaultFrom: "noreply@wl.example", concurrency: 1) { email, dispatcher, firm, store, time in
            let recipients = ["a@example.com", "b@example.com", "c@example.com"]
            let sent = try await email.send(EmailRequest(subject: "S", message: "Hi", recipients: recipients), firm: firm)
            let ids = sent.messages.map(\.id)
            // The write that records b's answer fails (not an outage: nothing retries it).
            _ = try await store.database.transaction { connection in
                try await connection.query(
                    """
                    CREATE TRIGGER refuse_one BEFORE UPDATE ON messages
                    WHEN NEW.id = \(ids[1]) AND OLD.stage = 'charged' AND NEW.stage <> 'charged'
                    BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END
                    """, [])
            }
            #expect(try await dispatcher.runOnce() == 3)
            let statuses = try await ids.asyncMap { try await store.message(firmID: firm.id, id: $0)?.status }
            #expect(statuses == [.delivered, .processing, .delivered])
            _ = try await store.database.transaction { try await $0.query("DROP TRIGGER refuse_one", []) }
            // Once b's lease has run out it is claimed and sent again: it alone.
            time.set(time.now.addingTimeInterval(3_600))
            #expect(try await dispatcher.runOnce() == 1)
            #expect(transport.sent.withLock { $0.map(\.to.value) } == recipients + ["b@example.com"])
            #expect(try await store.message(firmID: firm.id, id: ids[1])?.status == .delivered)
        }
    }

    @Test func aSuppressionThatCannotBeWrittenDoesNotStopTheOutcomesBeingRecorded() async throws {
        let transport = CapturingEmailTransport { email, _ in
            email.to.value == "nobody@example.com"
                ? .rejected(response: "550 5.1.1 No such user", suppress: true) : .delivered(response: "250 2.0.0 Ok")
        }
        try await withLiveFirm(transport, defaultFrom: "noreply@wl.example") { email, dispatcher, firm, store, time in
            _ = try await store.database.transaction { connection in
                try await connection.query(
                    "CREATE TRIGGER refuse_suppressions BEFORE INSERT ON email_suppressions BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END", [])
            }
            let sent = try await email.send(
                EmailRequest(subject: "S", message: "Hi", recipients: ["nobody@example.com", "someone@example.com"]), firm: firm)
            try await dispatcher.runOnce()
            let statuses = try await sent.messages.asyncMap { try await store.message(firmID: firm.id, id: $0.id)?.status }
            #expect(statuses == [.failed, .delivered])
            #expect(try await store.suppressions(firmID: firm.id).isEmpty)
            // Recorded, so nothing is leased and sent again once the lease would have run out.
            time.set(time.now.addingTimeInterval(3_600))
            #expect(try await dispatcher.runOnce() == 0)
            #expect(transport.sent.withLock { $0.count } == 2)
        }
    }

    @Test func sandboxEmailEventsAreSignedWebhooks() async throws {
        let app = TestApp(time: ManualTime(Date(timeIntervalSince1970: 1_781_100_300)))
        try await app.admin { admin, store in
            let firm = try await SandboxSeeder(store: store, time: app.time).seed()
            try await admin.setWebhook(firm: "sandbox", url: "https://hooks.example.com/wl", secret: "whsecret")
            let email = EmailService(store: store, time: app.time)
            _ = try await email.send(
                EmailRequest(
                    subject: "Payment reminder", message: "Hello {name}, your payment is due.", recipients: ["jane@example.com"],
                    reference: "demo-001"),
                firm: firm)
            let dispatcher = EmailDispatcher(
                store: store, time: app.time, live: UnconfiguredEmailTransport(), sandbox: SandboxEmailTransport(),
                tracking: TrackingSettings(baseURL: "https://wl.example", keyring: TrackingKeyring(secret: "s")), defaultFrom: nil,
                signal: WorkSignal(), logger: Logger(label: "test"))
            try await dispatcher.runOnce()
            let transport = RecordingTransport()
            let deliverer = WebhookDeliverer(store: store, time: app.time, transport: transport, logger: Logger(label: "test"))
            try await deliverer.runOnce()
            try await deliverer.runOnce()
            let posts = transport.posts.withLock { $0 }
            #expect(posts.map { $0.headers["X-WL-Event"] } == ["communication.email.processing", "communication.email.delivered"])
            let delivered = try #require(posts.last)
            #expect(delivered.headers["X-WL-Signature"] == WebhookSignature.contract(body: delivered.body, secret: "whsecret"))
            #expect(delivered.json["type"] as? String == "email")
            #expect(delivered.json["reference"] as? String == "demo-001")
            #expect(delivered.json["status_code"] as? Int == 1)
        }
    }
}
