import Testing
import WLServices

@testable import WLProviders

/// What an SMTP reply means for one email, and for its address.
@Suite struct SMTPOutcomeTests {
    static let cases: [(code: Int, text: String, atRecipient: Bool, outcome: EmailSendOutcome)] = [
        (250, "2.0.0 Ok: queued", false, .delivered(response: "250 2.0.0 Ok: queued")),
        (550, "5.1.1 No such user", true, .rejected(response: "550 5.1.1 No such user", suppress: true)),
        (550, "No such user here", true, .rejected(response: "550 No such user here", suppress: true)),
        (553, "5.1.3 Bad recipient address syntax", true, .rejected(response: "553 5.1.3 Bad recipient address syntax", suppress: true)),
        (550, "5.7.1 Relaying denied", true, .rejected(response: "550 5.7.1 Relaying denied", suppress: false)),
        (
            550, "5.7.708 Access denied, traffic not accepted from this IP", true,
            .rejected(response: "550 5.7.708 Access denied, traffic not accepted from this IP", suppress: false)
        ),
        (554, "5.7.1 Spam", true, .rejected(response: "554 5.7.1 Spam", suppress: false)),
        (552, "5.2.2 Mailbox full", true, .transient(response: "552 5.2.2 Mailbox full")),
        (552, "5.3.4 Message too big", false, .rejected(response: "552 5.3.4 Message too big", suppress: false)),
        (451, "4.3.0 Try again later", true, .transient(response: "451 4.3.0 Try again later")),
    ]

    @Test(arguments: cases.indices)
    func aReplyMeansWhatItSaysAndOnlyABadAddressIsSuppressed(index: Int) {
        let (code, text, atRecipient, expected) = Self.cases[index]
        #expect(SMTPConnection.outcome(of: SMTPReply(code: code, lines: [text]), atRecipient: atRecipient) == expected)
    }
}
