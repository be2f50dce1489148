import Foundation
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

/// What one POST /email may cost in storage: a body without placeholders is stored once per blast; a personalised one
/// once per recipient, within limits that are checked before and while rendering.
@Suite struct EmailStorageTests {
    let dispatcherTests = EmailDispatcherTests()

    @Test func aBodyWithoutPlaceholdersIsStoredOnceAndEveryEmailCarriesIt() async throws {
        let transport = CapturingEmailTransport()
        try await dispatcherTests.withLiveFirm(transport, defaultFrom: "noreply@wl.example") { email, dispatcher, firm, store, _ in
            let body = #"<p>Pay <a href="https://pay.example/x">here</a></p>"#
            let recipients = ["a@example.com", "b@example.com", "c@example.com"]
            let sent = try await email.send(EmailRequest(subject: "S", message: body, recipients: recipients), firm: firm)
            for message in sent.messages {
                #expect(try await store.message(firmID: firm.id, id: message.id)?.body == "")
            }
            #expect(try await store.blastTemplates(ids: [sent.blastID, "MAIL-unknown"]) == [sent.blastID: body])
            #expect(try await dispatcher.runOnce() == 3)
            let emails = transport.sent.withLock { $0 }.sorted { $0.messageID < $1.messageID }
            #expect(emails.map(\.to.value) == recipients)
            for (sentEmail, message) in zip(emails, sent.messages) {
                // Quoted-printable: soft line breaks out, `=` back.
                let data = sentEmail.data.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
                #expect(data.contains("\r\n\r\nPay here (https://pay.example/x)\r\n"))
                let link = try #require(data.range(of: #"<p>Pay <a href="https://wl.example/t/c/"#))
                let token = data[link.upperBound...].prefix { $0 != "\"" }
                #expect(TrackingSigner(secret: "s").event(from: String(token)) == .click(messageID: message.id, url: "https://pay.example/x"))
            }
        }
    }

    @Test func aPersonalisedBodyTooLargeForItsRecipientsIsRefusedBeforeRendering() async throws {
        try await dispatcherTests.withLiveFirm(CapturingEmailTransport()) { email, _, firm, store, _ in
            let template = "Hi {first_name} " + String(repeating: "x", count: 20_000)
            let recipients = (0..<1_000).map { "r\($0)@example.com" }
            let error = await #expect(throws: DomainError.self) {
                _ = try await email.send(EmailRequest(subject: "S", message: template, recipients: recipients), firm: firm)
            }
            #expect(error?.code == .validation)
            #expect(error?.fields["message"]?.first?.contains("16777216 bytes") == true)
            let stored = try await store.firstPageMessages(firmID: firm.id, filter: MessageFilter(channel: .email), limit: 10, startingAfter: nil)
            #expect(stored.isEmpty)
        }
    }

    @Test func aRecipientWhoseBodyRendersTooLargeIsNamed() async throws {
        try await dispatcherTests.withLiveFirm(CapturingEmailTransport()) { email, _, firm, store, time in
            let longName = String(repeating: "N", count: 100)
            _ = try await store.importContacts(
                firmID: firm.id,
                [Contact(kind: .client, firstName: longName, lastName: "", phone: nil, email: "big@example.com", accountBalance: nil)],
                now: time.now)
            let template = String(repeating: "{first_name}", count: 16_000)
            let error = await #expect(throws: DomainError.self) {
                _ = try await email.send(EmailRequest(subject: "S", message: template, recipients: ["big@example.com"]), firm: firm)
            }
            #expect(error?.code == .validation)
            #expect(error?.fields["message"]?.first?.hasPrefix("For big@example.com the message renders to 1600000 bytes") == true)
        }
    }
}
