import Foundation
public import WLDomain
public import WLPorts

/// Schedules, reads and cancels email for one firm at a time, and counts opens and clicks.
public struct EmailService: Sendable {
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

    /// Validates and personalises every recipient (suppressed ones skipped) and writes the blast and its messages
    /// (status pending) in one transaction.
    /// - Throws: `.validation` (422) for bad fields or when no recipient is left.
    public func send(_ request: EmailRequest, firm: Firm) async throws -> BlastScheduled {
        let now = time.now
        var valid = try request.validated()
        let sendAt = try SendTime.parse(request.sendAt, timezone: firm.timezone, now: now)
        valid.recipients.suppress(try await store.suppressed(firmID: firm.id, among: valid.recipients.valid.map(\.comparisonKey)))
        guard !valid.recipients.valid.isEmpty else { throw noValidRecipients(valid.recipients.skipped) }
        let personal = Placeholders.hasPlaceholders(valid.template) || Placeholders.hasPlaceholders(valid.subject)
        let messages: [NewMessage]
        if personal {
            let contacts = try await store.contactsByEmail(firmID: firm.id, addresses: valid.recipients.valid.map(\.comparisonKey))
            messages = try await RenderExecutor.shared.run { [valid] in try Self.personalise(valid, contacts: contacts) }
        } else {
            // The blast holds the template; each message's empty body stands for it.
            let encoding = valid.isHTML ? "html" : "text"
            messages = valid.recipients.valid.map {
                NewMessage(recipient: $0.value, body: "", segments: 0, encoding: encoding, credits: .zero, subject: valid.subject)
            }
        }
        let blast = NewBlast(
            id: NewBlast.makeID(for: .email, at: now), firmID: firm.id, channel: .email, reference: valid.reference, template: valid.template,
            subject: valid.subject, sendAt: sendAt)
        let created = try await blasts.submit(BlastWrite(blast: blast, messages: messages, now: now))
        signal?.signal()
        return BlastScheduled(
            blastID: blast.id, scheduled: created.count, skipped: valid.recipients.skipped, reference: valid.reference, messages: created,
            scheduledFor: sendAt)
    }

    /// Each recipient's message with its placeholders filled, within the size limits of ``EmailRequest``.
    /// - Throws: `.validation` on `message` when the template is too large for so many recipients, or when a
    ///   recipient's body or all of them together render too large; rendering stops at the first limit passed.
    static func personalise(_ valid: EmailRequest.Valid, contacts: [String: Contact]) throws -> [NewMessage] {
        let recipients = valid.recipients.valid
        let templateBytes = valid.template.utf8.count + valid.subject.utf8.count
        guard templateBytes * recipients.count <= EmailRequest.maximumPersonalisedBytes else {
            throw tooLarge(
                "A message with placeholders is stored once per recipient: \(templateBytes) bytes × \(recipients.count) recipients is over "
                    + "the limit of \(EmailRequest.maximumPersonalisedBytes) bytes. Send it in smaller batches or without placeholders.")
        }
        let escape: (String) -> String = { [isHTML = valid.isHTML] in isHTML ? HTMLText.escape($0) : $0 }
        var total = 0
        var messages: [NewMessage] = []
        messages.reserveCapacity(recipients.count)
        for address in recipients {
            let values = contacts[address.comparisonKey].map { PlaceholderValues($0) }
            let variables = valid.variables[address.comparisonKey] ?? [:]
            let body = Placeholders.render(valid.template, with: values, variables: variables, escape: escape)
            let subject = Placeholders.render(valid.subject, with: values, variables: variables)
            if subject.unicodeScalars.count > EmailRequest.maximumSubjectLength
                || EmailRequest.hasLineBreak(subject)
            {
                throw DomainError(
                    .validation,
                    "With its placeholders filled, the subject for \(address.value) has a line break or is over "
                        + "\(EmailRequest.maximumSubjectLength) characters.",
                    fields: ["subject": ["At most \(EmailRequest.maximumSubjectLength) characters and no line break once placeholders are filled."]])
            }
            let bytes = body.utf8.count
            guard bytes <= EmailRequest.maximumRenderedBytes else {
                throw tooLarge(
                    "For \(address.value) the message renders to \(bytes) bytes; at most \(EmailRequest.maximumRenderedBytes) are allowed.")
            }
            total += bytes + subject.utf8.count
            guard total <= EmailRequest.maximumRenderedTotalBytes else {
                throw tooLarge(
                    "Personalised for every recipient the messages add up to more than \(EmailRequest.maximumRenderedTotalBytes) bytes. "
                        + "Send them in smaller batches.")
            }
            messages.append(
                NewMessage(
                    recipient: address.value, body: body, segments: 0, encoding: valid.isHTML ? "html" : "text", credits: .zero,
                    subject: subject))
        }
        return messages
    }

    private static func tooLarge(_ message: String) -> DomainError {
        DomainError(.validation, "The request is not valid.", fields: ["message": [message]])
    }

    /// Counts a tracking hit; `nil` for an unknown message.
    public func track(_ event: TrackingEvent) async throws -> Engagement? {
        let kind: EngagementKind
        switch event {
        case .open: kind = .open
        case .click: kind = .click
        }
        return try await store.recordEngagement(messageID: event.messageID, kind: kind, now: time.now)
    }
}
