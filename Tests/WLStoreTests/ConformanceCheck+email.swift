import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

/// A blast of `count` emails to `user{n}@example.com`.
func emailBlast(_ store: SQLStore, firm: Firm, count: Int) async throws -> [Message] {
    let messages = (0..<count).map { index in
        NewMessage(recipient: "user\(index)@example.com", body: "<p>Hi</p>", segments: 0, encoding: "html", credits: .zero, subject: "Hello \(index)")
    }
    let blast = NewBlast(
        id: NewBlast.makeID(for: .email, at: Date()), firmID: firm.id, channel: .email, reference: "mail-1", template: "<p>Hi</p>", subject: "Hello",
        sendAt: checkTime)
    return try await store.createBlast(blast, messages: messages, now: checkTime)
}

extension ConformanceCheck {
    static let email: [ConformanceCheck] = [
        ConformanceCheck("emails keep their subject, cost nothing to send, and write no ledger row") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let messages = try await emailBlast(store, firm: firm, count: 2)
            #expect(try await store.message(firmID: firm.id, id: messages[0].id)?.subject == "Hello 0")
            let claimed = try await store.claimDue(channel: .email, limit: 10, owner: "w", lease: 30, now: checkTime)
            #expect(claimed.count == 2)
            #expect(try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime).isEmpty)
            let charged = try await store.record(claimed.map { ($0.id, DispatchOutcome.charge) }, leaseOwner: "w", now: checkTime)
            #expect(charged.map(\.status) == [.processing, .processing])
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).isEmpty)
        },
        ConformanceCheck("sender identity and tracking are per firm") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            #expect(try await store.emailSettings(firmID: firm.id) == EmailSettings())
            let settings = EmailSettings(
                from: EmailAddress("billing@acme.example"), fromName: "Acme ✓", replyTo: EmailAddress("acc@acme.example"), tracking: false)
            try await store.setEmailSettings(firmID: firm.id, settings)
            #expect(try await store.emailSettings(firmID: firm.id) == settings)
            #expect(try await store.emailSettings(firmID: other.id) == EmailSettings())
            let error = await #expect(throws: DomainError.self) { try await store.setEmailSettings(firmID: 999, settings) }
            #expect(error?.code == .notFound)
        },
        ConformanceCheck("suppression lists are per firm, case-insensitive, and removable") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            try await store.suppress(firmID: firm.id, address: "Jane@Example.com", reason: "550 No such user", now: checkTime)
            try await store.suppress(firmID: firm.id, address: "jane@example.com", reason: "again", now: checkTime)
            #expect(try await store.suppressions(firmID: firm.id).map(\.address) == ["jane@example.com"])
            #expect(try await store.suppressions(firmID: firm.id).first?.reason == "550 No such user")
            #expect(try await store.suppressed(firmID: firm.id, among: ["jane@example.com", "otieno@example.com"]) == ["jane@example.com"])
            #expect(try await store.suppressed(firmID: other.id, among: ["jane@example.com"]).isEmpty)
            #expect(try await store.removeSuppression(firmID: firm.id, address: "JANE@example.com"))
            #expect(try await !store.removeSuppression(firmID: firm.id, address: "jane@example.com"))
            #expect(try await store.suppressions(firmID: firm.id).isEmpty)
        },
        ConformanceCheck("the first open and first click emit one event each; later ones only count") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: nil), now: checkTime)
            let message = try #require(try await emailBlast(store, firm: firm, count: 1).first)
            for minute in 0..<3 {
                _ = try await store.recordEngagement(messageID: message.id, kind: .open, now: checkTime.addingTimeInterval(Double(minute) * 61))
            }
            let after = try #require(try await store.recordEngagement(messageID: message.id, kind: .click, now: checkTime.addingTimeInterval(5)))
            #expect(after == Engagement(opens: 3, clicks: 1, openedAt: checkTime, clickedAt: checkTime.addingTimeInterval(5)))
            #expect(
                try await store.events(firmID: firm.id, messageID: message.id).map(\.event) == [
                    "communication.email.opened", "communication.email.clicked",
                ])
            #expect(
                try await store.claimWebhookDeliveries(limit: 10, owner: "d", lease: 60, now: checkTime).map(\.subject.eventName) == [
                    "communication.email.opened"
                ])
            #expect(try await store.recordEngagement(messageID: 9_999, kind: .open, now: checkTime) == nil)
            let sms = try #require(try await smsBlast(store, firm: firm, count: 1).first)
            #expect(try await store.recordEngagement(messageID: sms.id, kind: .open, now: checkTime) == nil)
        },
        ConformanceCheck("an open or click counts once a minute per email and kind; hits within the minute change nothing") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            try await store.setWebhook(firmID: firm.id, WebhookSettings(url: "https://a.example/hook", secret: nil), now: checkTime)
            let messages = try await emailBlast(store, firm: firm, count: 2)
            let (message, neighbour) = (messages[0], messages[1])
            let first = try #require(try await store.recordEngagement(messageID: message.id, kind: .open, now: checkTime))
            for second in [0.0, 1, 30, 59.999] {
                let again = try await store.recordEngagement(messageID: message.id, kind: .open, now: checkTime.addingTimeInterval(second))
                #expect(again == first, "\(second) s")
            }
            let click = try #require(try await store.recordEngagement(messageID: message.id, kind: .click, now: checkTime.addingTimeInterval(30)))
            #expect((click.opens, click.clicks) == (1, 1))
            #expect(try await store.recordEngagement(messageID: neighbour.id, kind: .open, now: checkTime.addingTimeInterval(1))?.opens == 1)
            let later = try #require(try await store.recordEngagement(messageID: message.id, kind: .open, now: checkTime.addingTimeInterval(61)))
            #expect(later == Engagement(opens: 2, clicks: 1, openedAt: checkTime, clickedAt: checkTime.addingTimeInterval(30)))
            #expect(try await store.recordEngagement(messageID: message.id, kind: .open, now: checkTime.addingTimeInterval(100))?.opens == 2)
            #expect(try await store.recordEngagement(messageID: message.id, kind: .click, now: checkTime.addingTimeInterval(60))?.clicks == 1)
            #expect(try await store.recordEngagement(messageID: message.id, kind: .click, now: checkTime.addingTimeInterval(91))?.clicks == 2)
            let events = try await store.events(firmID: firm.id, messageID: message.id).map(\.event)
            #expect(events == ["communication.email.opened", "communication.email.clicked"])
            #expect(try await store.message(firmID: firm.id, id: message.id)?.engagement.opens == 2)
        },
        ConformanceCheck("an erased recipient is neither suppressed again nor tracked: no count, no event") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let messages = try await emailBlast(store, firm: firm, count: 2)
            try await store.suppressRecipient(ofMessage: messages[0].id, reason: "550 5.1.1 <user0@example.com>", now: checkTime)
            #expect(try await store.suppressions(firmID: firm.id).map(\.address) == ["user0@example.com"])
            _ = try await store.erase(firmID: firm.id, subject: .email("user1@example.com"), now: checkTime)
            // A refusal recorded after the erasure writes nothing back.
            try await store.suppressRecipient(ofMessage: messages[1].id, reason: "550 5.1.1 <user1@example.com>", now: checkTime)
            #expect(try await store.suppressions(firmID: firm.id).map(\.address) == ["user0@example.com"])
            let eventsBefore = try await store.events(firmID: firm.id, messageID: messages[1].id).count
            #expect(try await store.recordEngagement(messageID: messages[1].id, kind: .open, now: checkTime) == nil)
            #expect(try await store.recordEngagement(messageID: messages[1].id, kind: .click, now: checkTime) == nil)
            #expect(try await store.events(firmID: firm.id, messageID: messages[1].id).count == eventsBefore)
            #expect(try await store.recordEngagement(messageID: messages[0].id, kind: .open, now: checkTime)?.opens == 1)
        },
        ConformanceCheck("contacts are found by email ignoring case, clients first") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            _ = try await store.importContacts(
                firmID: firm.id,
                [
                    Contact(kind: .addressBook, firstName: "Book", lastName: "Entry", phone: nil, email: "Jane@Example.com", accountBalance: nil),
                    Contact(kind: .client, firstName: "Jane", lastName: "Client", phone: nil, email: "jane@example.com", accountBalance: nil),
                ], now: checkTime)
            let found = try await store.contactsByEmail(firmID: firm.id, addresses: ["JANE@example.com", "nobody@example.com"])
            #expect(found.keys.sorted() == ["jane@example.com"])
            #expect(found["jane@example.com"]?.firstName == "Jane")
        },
        ConformanceCheck("a service secret is created once and then always the same") { store in
            let first = try await store.serviceSecret("tracking", candidate: "one", now: checkTime)
            let second = try await store.serviceSecret("tracking", candidate: "two", now: checkTime)
            #expect(first == "one")
            #expect(second == "one")
        },
        ConformanceCheck("blast templates are read by id, in several statements when the ids are many") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            var templates: [String: String] = [:]
            for index in 0..<3 {
                let blast = NewBlast(
                    id: NewBlast.makeID(for: .email, at: Date()), firmID: firm.id, channel: .email, reference: nil,
                    template: "<p>Template \(index)</p>", subject: "Hello", sendAt: checkTime)
                _ = try await store.createBlast(
                    blast, messages: [NewMessage(recipient: "u\(index)@example.com", body: "", segments: 0, encoding: "html", credits: .zero)],
                    now: checkTime)
                templates[blast.id] = blast.template
            }
            // 1,203 ids: more than two statements' worth, the known ones wherever the set puts them.
            let unknown = (0..<1_200).map { "MAIL-UNKNOWN\($0)" }
            #expect(try await store.blastTemplates(ids: Set(templates.keys).union(unknown)) == templates)
            #expect(try await store.blastTemplates(ids: Set(unknown)).isEmpty)
            #expect(try await store.blastTemplates(ids: []).isEmpty)
        },
    ]
}
