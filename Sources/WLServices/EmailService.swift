import Foundation
public import WLDomain
public import WLStore

/// Schedules, reads and cancels email for one firm at a time, and counts opens and clicks.
public struct EmailService: Sendable {
    let store: any Store
    let time: any TimeSource
    let signal: WorkSignal?

    /// - Parameter signal: Woken after a blast is written, so the dispatcher starts at once.
    public init(store: any Store, time: any TimeSource, signal: WorkSignal? = nil) {
        self.store = store
        self.time = time
        self.signal = signal
    }

    /// Validates and personalises every recipient (suppressed ones skipped) and writes the blast and its messages
    /// (status pending) in one transaction.
    /// - Throws: `.validation` (422) for bad fields or when no recipient is left.
    public func send(_ request: EmailRequest, firm: Firm) async throws -> BlastScheduled {
        let now = time.now
        var valid = try request.validated()
        let sendAt = try SendTime.parse(request.sendAt, timezone: firm.timezone, now: now)
        valid.recipients.suppress(try await store.suppressed(firmID: firm.id, among: valid.recipients.valid.map(\.comparisonKey)))
        guard !valid.recipients.valid.isEmpty else {
            throw DomainError(
                .validation, "No valid recipients.",
                fields: ["recipients": valid.recipients.skipped.map { "\($0.recipient): \($0.reason.rawValue)" }])
        }
        let personal = Placeholders.isPersonalised(valid.template) || Placeholders.isPersonalised(valid.subject)
        var contacts: [String: Contact] = [:]
        if personal {
            contacts = try await store.contactsByEmail(firmID: firm.id, addresses: valid.recipients.valid.map(\.comparisonKey))
        }
        let isHTML = valid.isHTML
        let escape: (String) -> String = { isHTML ? HTMLText.escape($0) : $0 }
        let messages = valid.recipients.valid.map { address -> NewMessage in
            let values: PlaceholderValues? = contacts[address.comparisonKey].map { PlaceholderValues($0) }
            return NewMessage(
                recipient: address.value, body: Placeholders.render(valid.template, with: values, escape: escape), segments: 0,
                encoding: valid.isHTML ? "html" : "text", credits: .zero, subject: Placeholders.render(valid.subject, with: values))
        }
        let blast = NewBlast(
            id: NewBlast.makeID(for: .email), firmID: firm.id, channel: .email, reference: valid.reference, template: valid.template,
            subject: valid.subject, sendAt: sendAt)
        let created = try await store.createBlast(blast, messages: messages, now: now)
        signal?.signal()
        return BlastScheduled(
            blastID: blast.id, scheduled: created.count, skipped: valid.recipients.skipped, reference: valid.reference, messages: created)
    }

    /// One of the firm's emails.
    /// - Throws: `.notFound`, also for another firm's id or an SMS's id.
    public func message(id: Int64, firmID: Int64) async throws -> Message {
        guard let message = try await store.message(firmID: firmID, id: id), message.channel == .email else {
            throw DomainError(.notFound, "No email with id \(id).")
        }
        return message
    }

    /// The firm's emails matching `filter`, newest first.
    public func list(firmID: Int64, filter: MessageFilter, limit: Int, startingAfter: Int64?) async throws -> [Message] {
        try await store.messages(firmID: firmID, filter: filter, limit: limit, startingAfter: startingAfter)
    }

    /// Cancels one pending email (again: no change). `.conflict` once sending has begun.
    public func cancel(id: Int64, firmID: Int64) async throws -> Message {
        _ = try await message(id: id, firmID: firmID)
        return try await store.cancelMessage(firmID: firmID, id: id, now: time.now)
    }

    /// Cancels every pending email of a blast.
    public func cancelBlast(_ blastID: String, firmID: Int64) async throws -> BlastCancellation {
        try await store.cancelBlast(firmID: firmID, blastID: blastID, channel: .email, now: time.now)
    }

    /// Counts a tracking hit; `nil` for an unknown message.
    public func track(_ event: TrackingEvent) async throws -> Message? {
        let kind: EngagementKind
        switch event {
        case .open: kind = .open
        case .click: kind = .click
        }
        return try await store.recordEngagement(messageID: event.messageID, kind: kind, now: time.now)
    }
}
