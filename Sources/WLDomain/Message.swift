public import Foundation

/// Where a message is in the dispatch pipeline (finer than its public status).
public enum DispatchStage: String, Codable, Sendable {
    /// Waiting for its time; nothing charged.
    case queued
    /// Charged and being handed to the provider (or waiting to retry).
    case charged
    /// Accepted by the provider; waiting for its delivery report.
    case submitted
    /// Final.
    case done
}

/// A message as stored: one recipient of a blast.
public struct Message: Hashable, Codable, Sendable {
    public var id: Int64
    public var firmID: Int64
    public var blastID: String
    public var channel: Channel
    public var reference: String?
    public var recipient: String
    /// The final text (placeholders filled). Empty for an email without placeholders: its blast's template is its
    /// body, stored once for the whole blast.
    public var body: String
    public var segments: Int
    public var encoding: String
    /// What the message costs (charged when dispatched).
    public var credits: Credits
    public var status: MessageStatus
    /// The provider's or our words on the last change, e.g. `Success`, `Insufficient SMS credits`.
    public var response: String
    public var network: String?
    public var stage: DispatchStage
    public var attempts: Int
    public var dueAt: Date
    public var providerMessageID: String?
    public var createdAt: Date
    public var sentAt: Date?
    public var deliveredAt: Date?
    /// Email only: the subject (placeholders filled).
    public var subject: String?
    /// Email only: how often the open pixel and the tracked links were fetched, and when first.
    public var engagement: Engagement = Engagement()
    /// SMS only: transactional or promotional.
    public var category: SMSCategory = .transactional

    public init(
        id: Int64, firmID: Int64, blastID: String, channel: Channel, reference: String?, recipient: String, body: String,
        segments: Int, encoding: String, credits: Credits, status: MessageStatus, response: String, network: String?,
        stage: DispatchStage, attempts: Int, dueAt: Date, providerMessageID: String?, createdAt: Date, sentAt: Date?,
        deliveredAt: Date?
    ) {
        self.id = id
        self.firmID = firmID
        self.blastID = blastID
        self.channel = channel
        self.reference = reference
        self.recipient = recipient
        self.body = body
        self.segments = segments
        self.encoding = encoding
        self.credits = credits
        self.status = status
        self.response = response
        self.network = network
        self.stage = stage
        self.attempts = attempts
        self.dueAt = dueAt
        self.providerMessageID = providerMessageID
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.deliveredAt = deliveredAt
    }
}

/// An email's opens and clicks, as the tracking endpoints count them.
public struct Engagement: Hashable, Codable, Sendable {
    public var opens = 0
    public var clicks = 0
    public var openedAt: Date?
    public var clickedAt: Date?

    public init(opens: Int = 0, clicks: Int = 0, openedAt: Date? = nil, clickedAt: Date? = nil) {
        self.opens = opens
        self.clicks = clicks
        self.openedAt = openedAt
        self.clickedAt = clickedAt
    }
}

/// A message to create: one recipient with its final text and cost.
public struct NewMessage: Hashable, Sendable {
    public var recipient: String
    /// The final text; empty for an email whose body is its blast's template.
    public var body: String
    public var segments: Int
    public var encoding: String
    public var credits: Credits
    /// Email only: the subject.
    public var subject: String?

    public init(recipient: String, body: String, segments: Int, encoding: String, credits: Credits, subject: String? = nil) {
        self.recipient = recipient
        self.body = body
        self.segments = segments
        self.encoding = encoding
        self.credits = credits
        self.subject = subject
    }
}

/// A send request as stored: one template to many recipients.
public struct NewBlast: Hashable, Sendable {
    public var id: String
    public var firmID: Int64
    public var channel: Channel
    public var reference: String?
    public var template: String
    public var subject: String?
    public var sendAt: Date
    /// SMS only.
    public var category: SMSCategory

    public init(
        id: String, firmID: Int64, channel: Channel, reference: String?, template: String, subject: String?, sendAt: Date,
        category: SMSCategory = .transactional
    ) {
        self.id = id
        self.firmID = firmID
        self.channel = channel
        self.reference = reference
        self.template = template
        self.subject = subject
        self.sendAt = sendAt
        self.category = category
    }

    /// A new blast id: the channel's prefix and 20 Crockford base32 symbols (`SMS-01KB…`), ten for `time` in
    /// milliseconds since 1970 and then ten random ones (50 bits).
    ///
    /// The time first makes new ids sort after older ones, so a new blast lands on the last page of every index on
    /// its id (the blasts' key, the messages' `blast_id`) instead of a random page: a shared commit of many blasts
    /// dirties a page or two per index rather than one per blast. An id is not a secret: every read of a blast is
    /// limited to its own firm.
    public static func makeID(for channel: Channel, at time: Date) -> String {
        var bytes = Array((channel.blastPrefix + "-").utf8)
        let milliseconds = UInt64(max(0, (time.timeIntervalSince1970 * 1000).rounded(.down)))
        for shift in stride(from: 45, through: 0, by: -5) {
            bytes.append(idAlphabet[Int((milliseconds >> UInt64(shift)) & 0x1F)])
        }
        // Ten symbols take five bits each of one 64-bit draw: no modulo bias.
        var generator = SystemRandomNumberGenerator()
        var random = generator.next()
        for _ in 0..<10 {
            bytes.append(idAlphabet[Int(random & 0x1F)])
            random >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Crockford's base 32 symbols (no I, L, O or U to misread) in ascending byte order, so that ids sort by time.
    private static let idAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
}

/// One status change of a message, in order: the transactional outbox the webhooks deliver from.
public struct MessageEvent: Hashable, Codable, Sendable {
    public var id: Int64
    public var firmID: Int64
    public var messageID: Int64
    /// 1, 2, 3… per message.
    public var sequence: Int
    /// e.g. `communication.sms.delivered`.
    public var event: String
    public var status: MessageStatus
    public var response: String
    public var occurredAt: Date

    public init(
        id: Int64, firmID: Int64, messageID: Int64, sequence: Int, event: String, status: MessageStatus, response: String, occurredAt: Date
    ) {
        self.id = id
        self.firmID = firmID
        self.messageID = messageID
        self.sequence = sequence
        self.event = event
        self.status = status
        self.response = response
        self.occurredAt = occurredAt
    }
}
