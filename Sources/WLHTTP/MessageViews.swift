import Foundation
import WLDomain
import WLPorts
import WLServices

/// A message as `GET /sms/{id}` and `GET /email/{id}` show it: the contract's fields (``MessageFields``), then our
/// additions (segments, encoding, credits and network for SMS; subject and engagement for email). Absent values are
/// `null`.
struct MessageView: Encodable, Sendable {
    var message: Message
    var timezone: String

    enum CodingKeys: String, CodingKey {
        case segments, encoding, credits, network, subject, opens, clicks
        case openedAt = "opened_at"
        case clickedAt = "clicked_at"
        case scheduledFor = "scheduled_for"
        case createdAt = "created_at"
        case sentAt = "sent_at"
        case deliveredAt = "delivered_at"
    }

    func encode(to encoder: any Encoder) throws {
        let channel = message.channel
        try MessageFields.encode(
            message, event: message.status.eventName(for: channel) ?? "communication.\(channel.rawValue).pending", status: message.status,
            response: message.response, to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch channel {
        case .sms:
            try container.encode(message.segments, forKey: .segments)
            try container.encode(message.encoding, forKey: .encoding)
            try container.encode(message.credits, forKey: .credits)
            try container.encode(message.network, forKey: .network)
            // When a pending message goes out: later than asked for a promotional one in quiet hours.
            try container.encode(
                message.status == .pending ? FirmTime.format(message.dueAt, timezone: timezone) : nil, forKey: .scheduledFor)
        case .email:
            try container.encode(
                message.status == .pending ? FirmTime.format(message.dueAt, timezone: timezone) : nil, forKey: .scheduledFor)
            let engagement = message.engagement
            try container.encode(message.subject, forKey: .subject)
            try container.encode(engagement.opens, forKey: .opens)
            try container.encode(engagement.clicks, forKey: .clicks)
            try container.encode(engagement.openedAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .openedAt)
            try container.encode(engagement.clickedAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .clickedAt)
        }
        try container.encode(FirmTime.format(message.createdAt, timezone: timezone), forKey: .createdAt)
        try container.encode(message.sentAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .sentAt)
        try container.encode(message.deliveredAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .deliveredAt)
    }
}

/// A refused recipient and why.
struct SkippedView: Encodable, Sendable {
    var recipient: String
    var reason: String

    init(_ skipped: SkippedRecipient) {
        recipient = skipped.recipient
        reason = skipped.reason.rawValue
    }
}

/// The 202 body of `POST /sms`.
struct ScheduledView: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        var messageID: Int64
        var recipient: String

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case recipient
        }
    }

    var blastID: String
    var scheduled: Int
    var skipped: [SkippedView]
    var reference: String?
    var messages: [Item]
    /// SMS only.
    var category: SMSCategory?
    var scheduledFor: String?

    init(_ result: BlastScheduled, channel: Channel = .sms, timezone: String = Firm.defaultTimezone) {
        blastID = result.blastID
        scheduled = result.scheduled
        skipped = result.skipped.map(SkippedView.init)
        reference = result.reference
        messages = result.messages.map { Item(messageID: $0.id, recipient: $0.recipient) }
        if channel == .sms { category = result.category }
        scheduledFor = result.scheduledFor.map { FirmTime.format($0, timezone: timezone) }
    }

    enum CodingKeys: String, CodingKey {
        case blastID = "blast_id"
        case scheduled, skipped, reference, messages, category
        case scheduledFor = "scheduled_for"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(blastID, forKey: .blastID)
        try container.encode(scheduled, forKey: .scheduled)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(reference, forKey: .reference)
        try container.encode(messages, forKey: .messages)
        try container.encodeIfPresent(category, forKey: .category)
        try container.encodeIfPresent(scheduledFor, forKey: .scheduledFor)
    }
}

/// The body of `POST /sms/quote`.
struct QuoteView: Encodable, Sendable {
    struct Line: Encodable, Sendable {
        var recipient: String
        var segments: Int
        var encoding: String
        var credits: Credits
        var nonGSMCharacters: [String]

        enum CodingKeys: String, CodingKey {
            case recipient, segments, encoding, credits
            case nonGSMCharacters = "non_gsm_characters"
        }
    }

    var recipients: [Line]
    var skipped: [SkippedView]
    var totalSegments: Int
    var totalCredits: Credits
    var balance: Credits
    var sufficientBalance: Bool
    var category: SMSCategory
    var optOutFooter: String?
    var scheduledFor: String

    /// The most characters a line lists as the reason for UCS-2 (the first ones found): with 10,000 recipients and a
    /// text of many different ones, repeating them all on every line made answers of tens of megabytes.
    static let nonGSMListed = 20
    /// The most code points of one listed character: one character can carry any number of combining marks.
    static let listedCodePoints = 8

    /// `character` with at most ``listedCodePoints`` of its code points.
    static func listed(_ character: Character) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: character.unicodeScalars.prefix(listedCodePoints))
        return text
    }

    init(_ quote: SMSQuote, timezone: String) {
        recipients = quote.lines.map {
            Line(
                recipient: $0.recipient, segments: $0.text.segments, encoding: $0.text.encoding.rawValue, credits: $0.text.credits,
                nonGSMCharacters: $0.text.nonGSMCharacters.prefix(Self.nonGSMListed).map(Self.listed))
        }
        skipped = quote.skipped.map(SkippedView.init)
        totalSegments = quote.totalSegments
        totalCredits = quote.totalCredits
        balance = quote.balance
        sufficientBalance = quote.balance >= quote.totalCredits
        category = quote.category
        optOutFooter = quote.footer
        scheduledFor = FirmTime.format(quote.scheduledFor, timezone: timezone)
    }

    enum CodingKeys: String, CodingKey {
        case recipients, skipped, balance, category
        case optOutFooter = "opt_out_footer"
        case scheduledFor = "scheduled_for"
        case totalSegments = "total_segments"
        case totalCredits = "total_credits"
        case sufficientBalance = "sufficient_balance"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(recipients, forKey: .recipients)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(totalSegments, forKey: .totalSegments)
        try container.encode(totalCredits, forKey: .totalCredits)
        try container.encode(balance, forKey: .balance)
        try container.encode(sufficientBalance, forKey: .sufficientBalance)
        try container.encode(category, forKey: .category)
        try container.encode(optOutFooter, forKey: .optOutFooter)
        try container.encode(scheduledFor, forKey: .scheduledFor)
    }
}

/// What cancelling a blast did.
struct BlastCancellationView: Encodable, Sendable {
    var blastID: String
    var result: BlastCancellation

    enum CodingKeys: String, CodingKey {
        case blastID = "blast_id"
        case cancelled
        case alreadyCancelled = "already_cancelled"
        case notCancellable = "not_cancellable"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(blastID, forKey: .blastID)
        try container.encode(result.cancelled, forKey: .cancelled)
        try container.encode(result.alreadyCancelled, forKey: .alreadyCancelled)
        try container.encode(result.notCancellable, forKey: .notCancellable)
    }
}
