public import Foundation
public import WLDomain
public import WLPorts

/// What `POST /sms` and `POST /email` answer.
public struct BlastScheduled: Sendable {
    public var blastID: String
    public var scheduled: Int
    public var skipped: [SkippedRecipient]
    public var reference: String?
    public var messages: [Message]
    /// SMS: the category.
    public var category: SMSCategory = .transactional
    /// When the messages go out (for SMS later than asked for a promotional blast in quiet hours).
    public var scheduledFor: Date?
}

/// One recipient's price in a quote.
public struct QuoteLine: Sendable {
    public var recipient: String
    public var text: SMSText
}

/// What `POST /sms/quote` answers: what a send would cost, sending nothing.
public struct SMSQuote: Sendable {
    public var lines: [QuoteLine]
    public var skipped: [SkippedRecipient]
    public var totalSegments: Int
    public var totalCredits: Credits
    public var balance: Credits
    public var category: SMSCategory
    /// The footer each text carries (promotional), counted in its segments.
    public var footer: String?
    /// When a send would go out.
    public var scheduledFor: Date
}

/// Schedules, prices, reads and cancels SMS for one firm at a time.
public struct SMSService: Sendable {
    public let store: any Store
    public let time: any TimeSource
    let signal: WorkSignal?
    /// Writes the blasts of concurrent requests in shared transactions, each answered once its own are committed.
    let blasts: GroupCommit<BlastWrite, [Message]>
    /// The sending window and footer of promotional SMS.
    public let policy: PromotionalPolicy
    /// Short opt-out lists kept for a moment (by default none: the store is read for every request).
    let optOutCache: OptOutCache

    /// - Parameters:
    ///   - signal: Woken after a blast is written, so the dispatcher starts at once.
    ///   - optOutCache: Where opt-out lists are kept between requests (shared with ``OptOutService``, which forgets a
    ///     firm's list when it changes it).
    public init(
        store: any Store, time: any TimeSource, signal: WorkSignal? = nil, policy: PromotionalPolicy = PromotionalPolicy(),
        optOutCache: OptOutCache = OptOutCache(lifetime: 0)
    ) {
        self.store = store
        self.time = time
        self.signal = signal
        self.blasts = .blasts(store)
        self.policy = policy
        self.optOutCache = optOutCache
    }

    /// Validates, personalises and prices every recipient, and writes the blast and its messages (status pending)
    /// in one transaction. Nothing is charged yet: the dispatcher charges each message when it sends it.
    /// - Throws: `.validation` (422) for bad fields or when no recipient is valid.
    public func send(_ request: SMSRequest, firm: Firm) async throws -> BlastScheduled {
        let now = time.now
        let valid = try await withoutOptedOut(request.validated(), firm: firm)
        let sendAt = try SendTime.parse(request.sendAt, timezone: firm.timezone, now: now)
        guard !valid.recipients.valid.isEmpty else { throw noValidRecipients(valid.recipients.skipped) }
        let release = policy.releaseTime(for: valid.category, due: sendAt, firmWindow: firm.promotionalWindow)
        let messages = try await render(valid, firm: firm).map { line in
            NewMessage(
                recipient: line.recipient, body: line.body, segments: line.text.segments, encoding: line.text.encoding.rawValue,
                credits: line.text.credits)
        }
        let blast = NewBlast(
            id: NewBlast.makeID(for: .sms, at: now), firmID: firm.id, channel: .sms, reference: valid.reference, template: valid.template,
            subject: nil, sendAt: release, category: valid.category)
        let created = try await blasts.submit(BlastWrite(blast: blast, messages: messages, now: now))
        signal?.signal()
        return BlastScheduled(
            blastID: blast.id, scheduled: created.count, skipped: valid.recipients.skipped, reference: valid.reference, messages: created,
            category: valid.category, scheduledFor: release)
    }

    /// What `request` would cost, per recipient and in total, against the firm's balance. Writes nothing.
    public func quote(_ request: SMSRequest, firm: Firm) async throws -> SMSQuote {
        let valid = try await withoutOptedOut(request.validated(), firm: firm)
        let sendAt = try SendTime.parse(request.sendAt, timezone: firm.timezone, now: time.now)
        guard !valid.recipients.valid.isEmpty else { throw noValidRecipients(valid.recipients.skipped) }
        let lines = try await render(valid, firm: firm).map { QuoteLine(recipient: $0.recipient, text: $0.text) }
        let balance = try await store.firm(id: firm.id)?.smsCredits ?? firm.smsCredits
        return SMSQuote(
            lines: lines, skipped: valid.recipients.skipped, totalSegments: lines.reduce(0) { $0 + $1.text.segments },
            totalCredits: lines.reduce(Credits.zero) { $0 + $1.text.credits }, balance: balance, category: valid.category,
            footer: valid.category == .promotional ? policy.footer : nil,
            scheduledFor: policy.releaseTime(for: valid.category, due: sendAt, firmWindow: firm.promotionalWindow))
    }

    /// `valid` with the numbers on the firm's opt-out list moved to the skipped ones (`opted_out`), and for a
    /// promotional request of a firm that requires consent, those whose contact recorded none (`no_consent`).
    private func withoutOptedOut(_ valid: SMSRequest.Valid, firm: Firm) async throws -> SMSRequest.Valid {
        var result = valid
        let phones = valid.recipients.valid.map(\.e164Digits)
        let listed = try await optOutCache.listed(phones, firmID: firm.id, store: store, now: time.now)
        result.skip(.optedOut) { listed.contains($0) }
        if valid.category == .promotional && firm.promotionalConsentRequired {
            let contacts = try await store.contactsByPhone(firmID: firm.id, phones: result.recipients.valid.map(\.e164Digits))
            result.skip(.noConsent) { contacts[$0]?.promotionalConsent != true }
        }
        return result
    }

    /// Each valid recipient's final text: placeholders filled from its own variables, then the firm's clients, then
    /// its address book.
    private func render(_ valid: SMSRequest.Valid, firm: Firm) async throws -> [(recipient: String, body: String, text: SMSText)] {
        let numbers = valid.recipients.valid.map(\.e164Digits)
        guard Placeholders.hasPlaceholders(valid.template) else {
            let body = policy.text(valid.template, category: valid.category)
            let text = SMSText(body)
            return numbers.map { ($0, body, text) }
        }
        let contacts = try await store.contactsByPhone(firmID: firm.id, phones: numbers)
        return try numbers.map { number in
            let rendered = Placeholders.render(
                valid.template, with: contacts[number].map(PlaceholderValues.init), variables: valid.variables[number] ?? [:])
            // A code point is at least one byte: a text no longer than the limit in bytes is within it.
            if rendered.utf8.count > SMSRequest.maximumFilledLength, rendered.unicodeScalars.count > SMSRequest.maximumFilledLength {
                throw DomainError(
                    .validation,
                    "With its placeholders filled, the message to \(number) has \(rendered.unicodeScalars.count) characters; at most \(SMSRequest.maximumFilledLength).",
                    fields: ["message": ["At most \(SMSRequest.maximumFilledLength) characters once placeholders are filled."]])
            }
            let body = policy.text(rendered, category: valid.category)
            return (number, body, SMSText(body))
        }
    }
}
