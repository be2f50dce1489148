import Foundation
import PropertyBased
import Testing
import WLDomain
import WLPorts
import WLServices

/// The webhook body written by hand (``FlatJSON``) is byte for byte what `JSONEncoder` writes for the same payload,
/// so signatures and receivers see no change.
@Suite struct WebhookPayloadTests {
    @Test func aMessageEventHasTheContractsFieldsInKeyOrder() throws {
        let body = try WebhookPayload(delivery(reference: nil, recipient: "254712345678", response: "Success")).bytes()
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"blast_id":"SMS-1","category":"transactional","event":"communication.sms.delivered","event_id":9,"#
                + #""firm_id":3,"message_id":42,"occurred_at":"2026-12-04T09:30:00.250Z","recipient":"254712345678","#
                + #""reference":null,"response":"Success","sequence":2,"status":"delivered","status_code":1,"#
                + #""timestamp":"2026-12-04T12:30:00+03:00","type":"sms"}"#)
    }

    @Test func handWrittenBytesEqualJSONEncodersForAnyText() async {
        let alphabet = Array("ab /\\\"\u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}\u{2028}é中😀")
        let text = Gen.element(of: alphabet).map { $0! }.array(of: 0...12).map { String($0) }
        await propertyCheck(input: text, text, text, Gen.bool, Gen.element(of: MessageStatus.allCases).map { $0! }) {
            reference, recipient, response, sms, status in
            var message = delivery(reference: reference, recipient: recipient, response: response)
            if case .message(var event, var subject) = message.subject {
                subject.channel = sms ? .sms : .email
                event.status = status
                message.subject = .message(event, subject)
            }
            let payload = WebhookPayload(message)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let expected = (try? encoder.encode(payload)).map { Array($0) }
            #expect(expected != nil && (try? payload.bytes()) == expected)
        }
    }

    private func delivery(reference: String?, recipient: String, response: String) -> WebhookDelivery {
        let occurred = Date(timeIntervalSince1970: 1_796_376_600.25)
        let message = Message(
            id: 42, firmID: 3, blastID: "SMS-1", channel: .sms, reference: reference, recipient: recipient, body: "Hi", segments: 1,
            encoding: "GSM-7", credits: Credits(units: 10_000), status: .delivered, response: response, network: nil, stage: .done,
            attempts: 1, dueAt: occurred, providerMessageID: nil, createdAt: occurred, sentAt: occurred, deliveredAt: occurred)
        let event = MessageEvent(
            id: 9, firmID: 3, messageID: 42, sequence: 2, event: "communication.sms.delivered", status: .delivered, response: response,
            occurredAt: occurred)
        return WebhookDelivery(
            id: 1, firmID: 3, attempts: 0, url: "http://127.0.0.1/hooks", secret: nil, previousSecret: nil, timezone: "Africa/Nairobi",
            subject: .message(event, message))
    }
}
