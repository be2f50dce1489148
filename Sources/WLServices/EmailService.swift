import Foundation
public import WLDomain
public import WLStore

/// Schedules, reads and cancels email for one firm at a time, and counts opens and clicks.
public struct EmailService: Sendable {
    public let store: any Store
    public let time: any TimeSource
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
        guard !valid.recipients.valid.isEmpty else { throw noValidRecipients(valid.recipients.skipped) }
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
