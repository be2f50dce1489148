import Foundation
public import WLDomain
public import WLStore

/// What `POST /sms` and `POST /email` answer.
public struct BlastScheduled: Sendable {
    public var blastID: String
    public var scheduled: Int
    public var skipped: [SkippedRecipient]
    public var reference: String?
    public var messages: [Message]
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
}

/// Schedules, prices, reads and cancels SMS for one firm at a time.
public struct SMSService: Sendable {
    public let store: any Store
    public let time: any TimeSource
    let signal: WorkSignal?
    /// Writes the blasts of concurrent requests in shared transactions, each answered once its own are committed.
    let blasts: GroupCommit<BlastWrite, [Message]>

    /// - Parameter signal: Woken after a blast is written, so the dispatcher starts at once.
    public init(store: any Store, time: any TimeSource, signal: WorkSignal? = nil) {
        self.store = store
        self.time = time
        self.signal = signal
        self.blasts = .blasts(store)
    }

    /// Validates, personalises and prices every recipient, and writes the blast and its messages (status pending)
    /// in one transaction. Nothing is charged yet: the dispatcher charges each message when it sends it.
    /// - Throws: `.validation` (422) for bad fields or when no recipient is valid.
    public func send(_ request: SMSRequest, firm: Firm) async throws -> BlastScheduled {
        let now = time.now
        let valid = try request.validated()
        let sendAt = try SendTime.parse(request.sendAt, timezone: firm.timezone, now: now)
        guard !valid.recipients.valid.isEmpty else { throw noValidRecipients(valid.recipients.skipped) }
        let messages = try await render(valid, firm: firm).map { line in
            NewMessage(
                recipient: line.recipient, body: line.body, segments: line.text.segments, encoding: line.text.encoding.rawValue,
                credits: line.text.credits)
        }
        let blast = NewBlast(
            id: NewBlast.makeID(for: .sms), firmID: firm.id, channel: .sms, reference: valid.reference, template: valid.template, subject: nil,
            sendAt: sendAt)
        let created = try await blasts.submit(BlastWrite(blast: blast, messages: messages, now: now))
        signal?.signal()
        return BlastScheduled(
            blastID: blast.id, scheduled: created.count, skipped: valid.recipients.skipped, reference: valid.reference, messages: created)
    }

    /// What `request` would cost, per recipient and in total, against the firm's balance. Writes nothing.
    public func quote(_ request: SMSRequest, firm: Firm) async throws -> SMSQuote {
        let valid = try request.validated()
        _ = try SendTime.parse(request.sendAt, timezone: firm.timezone, now: time.now)
        guard !valid.recipients.valid.isEmpty else { throw noValidRecipients(valid.recipients.skipped) }
        let lines = try await render(valid, firm: firm).map { QuoteLine(recipient: $0.recipient, text: $0.text) }
        let balance = try await store.firm(id: firm.id)?.smsCredits ?? firm.smsCredits
        return SMSQuote(
            lines: lines, skipped: valid.recipients.skipped, totalSegments: lines.reduce(0) { $0 + $1.text.segments },
            totalCredits: lines.reduce(Credits.zero) { $0 + $1.text.credits }, balance: balance)
    }

    /// Each valid recipient's final text: placeholders filled from the firm's clients, then its address book.
    private func render(_ valid: SMSRequest.Valid, firm: Firm) async throws -> [(recipient: String, body: String, text: SMSText)] {
        let numbers = valid.recipients.valid.map(\.e164Digits)
        guard Placeholders.isPersonalised(valid.template) else {
            let text = SMSText(valid.template)
            return numbers.map { ($0, valid.template, text) }
        }
        let contacts = try await store.contactsByPhone(firmID: firm.id, phones: numbers)
        return numbers.map { number in
            let body = Placeholders.render(valid.template, with: contacts[number].map(PlaceholderValues.init))
            return (number, body, SMSText(body))
        }
    }
}
