import Foundation
import Hummingbird
import PropertyBased
import Testing
import WLDomain

@testable import WLHTTP
@testable import WLServices

/// The 202 of `POST /sms` and `POST /email`, written by hand, is byte for byte what `JSONEncoder.api` writes for its
/// envelope, so clients and stored idempotent answers see no change.
@Suite struct ScheduledViewBytesTests {
    @Test func anSMSAnswerHasItsFieldsInKeyOrder() async throws {
        var view = ScheduledView(scheduled(reference: "ref/1", recipients: ["254712345678"], skipped: []), timezone: "Africa/Nairobi")
        view.scheduledFor = "2026-12-04T12:30:00+03:00"
        #expect(
            try await body(view.accepted(message: "SMS scheduled successfully."))
                == #"{"data":{"blast_id":"SMS-1","category":"transactional","messages":[{"message_id":7,"recipient":"254712345678"}],"#
                + #""reference":"ref/1","scheduled":1,"scheduled_for":"2026-12-04T12:30:00+03:00","skipped":[]},"#
                + #""message":"SMS scheduled successfully.","status":"success"}"#)
    }

    @Test func handWrittenBytesEqualTheEncodersForAnyText() async throws {
        let alphabet = Array("ab /\\\"\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}\u{2028}é中😀")
        let text = Gen.element(of: alphabet).map { $0! }.array(of: 0...8).map { String($0) }
        let texts = text.array(of: 0...3)
        await propertyCheck(input: text, texts, texts, Gen.bool, Gen.bool) { reference, recipients, skipped, sms, hasReference in
            let result = scheduled(reference: hasReference ? reference : nil, recipients: recipients, skipped: skipped)
            let view = sms ? ScheduledView(result, timezone: "Africa/Nairobi") : ScheduledView(result, channel: .email)
            let expected = try JSONEncoder.api.encode(SuccessEnvelope(message: reference, data: view))
            let response = view.accepted(message: reference)
            #expect(response.status == .accepted)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(try await body(response) == String(decoding: expected, as: UTF8.self))
        }
    }

    private func scheduled(reference: String?, recipients: [String], skipped: [String]) -> BlastScheduled {
        let messages = recipients.enumerated().map { index, recipient in
            Message(
                id: Int64(7 + index), firmID: 1, blastID: "SMS-1", channel: .sms, reference: reference, recipient: recipient, body: "b",
                segments: 1, encoding: "GSM-7", credits: Credits(units: 1), status: .pending, response: "Queued", network: nil,
                stage: .queued, attempts: 0, dueAt: Date(timeIntervalSince1970: 1_796_376_600), providerMessageID: nil,
                createdAt: Date(timeIntervalSince1970: 1_796_376_600), sentAt: nil, deliveredAt: nil)
        }
        return BlastScheduled(
            blastID: "SMS-1", scheduled: messages.count, skipped: skipped.map { SkippedRecipient(recipient: $0, reason: .duplicate) },
            reference: reference, messages: messages, scheduledFor: Date(timeIntervalSince1970: 1_796_376_600))
    }

    private func body(_ response: Response) async throws -> String {
        let collector = BodyCollector()
        try await response.body.write(collector.writer())
        return String(buffer: collector.buffer)
    }
}
