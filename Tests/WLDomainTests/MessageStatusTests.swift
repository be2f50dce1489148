import Testing
import WLDomain

@Suite struct MessageStatusTests {
    @Test func codesAreTheContracts() {
        #expect(MessageStatus.allCases.map(\.code) == [0, 3, 1, 2])
        #expect(MessageStatus.allCases.allSatisfy { MessageStatus(code: $0.code) == $0 })
    }

    @Test func statusesOnlyMoveForward() {
        #expect(MessageStatus.pending.canMove(to: .processing))
        #expect(MessageStatus.processing.canMove(to: .delivered))
        #expect(!MessageStatus.delivered.canMove(to: .processing))
        #expect(!MessageStatus.delivered.canMove(to: .failed))
        #expect(!MessageStatus.failed.canMove(to: .delivered))
        #expect(!MessageStatus.processing.canMove(to: .processing))
        #expect(!MessageStatus.processing.canMove(to: .pending))
    }

    @Test func eventNamesFollowTheContract() {
        #expect(MessageStatus.delivered.eventName(for: .sms) == "communication.sms.delivered")
        #expect(MessageStatus.failed.eventName(for: .email) == "communication.email.failed")
        #expect(MessageStatus.pending.eventName(for: .sms) == nil)
    }

    @Test func recipientsAreNormalisedDeduplicatedAndExplained() throws {
        let list = try SMSRecipients(["254712345678", "0712345678", "nope", "+254 700 000 099"])
        #expect(list.valid.map(\.e164Digits) == ["254712345678", "254700000099"])
        #expect(
            list.skipped == [
                SkippedRecipient(recipient: "0712345678", reason: .duplicate), SkippedRecipient(recipient: "nope", reason: .invalidNumber),
            ])
    }

    @Test func tooManyOrNoRecipientsAreRefused() {
        let none = #expect(throws: DomainError.self) { try SMSRecipients([]) }
        #expect(none?.code == .validation)
        #expect(none?.fields["recipients"] == ["This field is required: give at least one recipient."])
        let tooMany = #expect(throws: DomainError.self) { try SMSRecipients(Array(repeating: "0712345678", count: 10_001)) }
        #expect(tooMany?.code == .validation)
        #expect(tooMany?.fields["recipients"] != nil)
    }
}
