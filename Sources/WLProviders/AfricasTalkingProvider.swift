public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import WLDomain
public import WLServices

/// Sends SMS through Africa's Talking's messaging endpoint (`POST /version1/messaging`, form-encoded, `apiKey` header,
/// `Accept: application/json`, numbers in `+254…` form).
///
/// Each message goes `from` its firm's sender ID for its category, else `africastalking.senderId`, else the account's
/// default. Each recipient's `statusCode` decides: 100–102 accepted (the delivery report comes later to the callback
/// endpoint); 406 refused for good and the number opted out; 401–409 and 502 refused for good; 500–501 and anything unknown transient. A call that fails as a whole
/// (timeout, connection error, 5xx, 429, 401) is transient for every recipient; 429's `Retry-After` is honoured.
public struct AfricasTalkingProvider: SMSProvider {
    let settings: AfricasTalkingSettings
    let client: HTTPClient
    let logger: Logger

    public init(settings: AfricasTalkingSettings, client: HTTPClient, logger: Logger) {
        self.settings = settings
        self.client = client
        self.logger = logger
    }

    /// `africastalking.batchSize`.
    public var recipientsPerCall: Int { settings.batchSize }

    public func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        var outcomes: [Int64: SendOutcome] = [:]
        for call in Self.calls(recipients, size: settings.batchSize) {
            outcomes.merge(await send(text, from: sender ?? settings.senderID, call)) { first, _ in first }
        }
        return outcomes
    }

    /// Splits recipients into calls of at most `size`, with each number at most once per call (the answer is keyed
    /// by number).
    static func calls(_ recipients: [OutgoingSMS], size: Int) -> [[OutgoingSMS]] {
        var calls: [[OutgoingSMS]] = []
        var current: [OutgoingSMS] = []
        var numbers: Set<String> = []
        for recipient in recipients {
            if current.count == size || numbers.contains(recipient.recipient) {
                calls.append(current)
                current = []
                numbers = []
            }
            current.append(recipient)
            numbers.insert(recipient.recipient)
        }
        if !current.isEmpty { calls.append(current) }
        return calls
    }

    private func send(_ text: String, from sender: String?, _ recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        func all(_ outcome: SendOutcome) -> [Int64: SendOutcome] {
            Dictionary(uniqueKeysWithValues: recipients.map { ($0.messageID, outcome) })
        }
        var fields = [
            ("username", settings.username), ("to", recipients.map { "+" + $0.recipient }.joined(separator: ",")), ("message", text),
            ("bulkSMSMode", "1"), ("enqueue", "1"),
        ]
        if let sender { fields.append(("from", sender)) }
        var request = HTTPClientRequest(url: settings.baseURL + "/version1/messaging")
        request.method = .POST
        request.headers.add(name: "apiKey", value: settings.apiKey)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(fields)))
        let status: Int
        let body: ByteBuffer
        let retryAfter: Double?
        do {
            let answer = try await client.executeCollecting(request, timeout: .milliseconds(Int64(settings.timeout * 1000)), limit: 4 << 20)
            status = Int(answer.response.status.code)
            retryAfter = answer.response.headers.first(name: "Retry-After").flatMap(Double.init).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
            body = answer.body
        } catch {
            logger.warning("Africa's Talking call failed", metadata: ["error": "\(error)"])
            return all(.transient(reason: "Provider unreachable: \(error)", retryAfter: nil))
        }
        switch status {
        case 200, 201:
            return Self.outcomes(of: Data(body.readableBytesView), for: recipients)
        case 429:
            return all(.transient(reason: "Provider rate limit (HTTP 429)", retryAfter: retryAfter))
        case 401, 403:
            logger.error("Africa's Talking refused our credentials; check africastalking.username and apiKey")
            return all(.transient(reason: "Provider authentication failed (HTTP \(status))", retryAfter: nil))
        case 500...:
            return all(.transient(reason: "Provider error (HTTP \(status))", retryAfter: retryAfter))
        default:
            let text = String(buffer: body).prefix(200)
            logger.error("Africa's Talking refused the request", metadata: ["status": "\(status)", "body": "\(text)"])
            return all(.rejected(reason: "Provider refused the request (HTTP \(status)): \(text)"))
        }
    }

    /// The answer's shape: `{"SMSMessageData": {"Message": …, "Recipients": [{statusCode, number, status, messageId}]}}`.
    struct Answer: Decodable {
        struct Data: Decodable {
            var message: String
            var recipients: [Recipient]

            enum CodingKeys: String, CodingKey {
                case message = "Message"
                case recipients = "Recipients"
            }
        }

        struct Recipient: Decodable {
            var statusCode: Int
            var number: String
            var status: String
            var messageId: String
        }

        var data: Data

        enum CodingKeys: String, CodingKey {
            case data = "SMSMessageData"
        }
    }

    /// Each recipient's outcome from a 201 answer.
    static func outcomes(of body: Foundation.Data, for recipients: [OutgoingSMS]) -> [Int64: SendOutcome] {
        guard let answer = try? JSONDecoder().decode(Answer.self, from: body) else {
            return Dictionary(
                uniqueKeysWithValues: recipients.map { ($0.messageID, .transient(reason: "Unreadable provider answer", retryAfter: nil)) })
        }
        let byNumber = Dictionary(answer.data.recipients.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        var outcomes: [Int64: SendOutcome] = [:]
        for recipient in recipients {
            guard let result = byNumber["+" + recipient.recipient] else {
                outcomes[recipient.messageID] =
                    answer.data.recipients.isEmpty && answer.data.message != "" && !answer.data.message.hasPrefix("Sent to")
                    ? .rejected(reason: answer.data.message)
                    : .transient(reason: "The provider did not answer for this number", retryAfter: nil)
                continue
            }
            outcomes[recipient.messageID] = outcome(statusCode: result.statusCode, status: result.status, messageID: result.messageId)
        }
        return outcomes
    }

    /// 100–102 accepted; 406 (`UserInBlacklist`) blacklisted; 401–409 and 502 permanent; 500, 501 and anything
    /// else transient.
    static func outcome(statusCode: Int, status: String, messageID: String) -> SendOutcome {
        switch statusCode {
        case 100...102 where messageID != "None": .accepted(providerMessageID: messageID, report: nil)
        case 406: .blacklisted(reason: status)
        case 401...409, 502: .rejected(reason: status)
        default: .transient(reason: status, retryAfter: nil)
        }
    }
}
