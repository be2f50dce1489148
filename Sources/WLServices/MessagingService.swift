public import WLDomain
public import WLPorts

/// What every channel's service offers for messages already scheduled: read one, list, cancel one, cancel a blast.
/// The implementations are shared; a service names its channel, store and clock.
public protocol MessagingService: Sendable {
    /// The channel its messages go out on.
    var channel: Channel { get }
    var store: any Store { get }
    var time: any TimeSource { get }
}

extension MessagingService {
    /// One of the firm's messages on this channel.
    /// - Throws: `.notFound`, also for another firm's id or another channel's.
    public func message(id: Int64, firmID: Int64) async throws -> Message {
        guard let message = try await store.message(firmID: firmID, id: id), message.channel == channel else {
            throw DomainError(.notFound, "No \(channel == .sms ? "SMS" : "email") with id \(id).")
        }
        return message
    }

    /// A page of the firm's messages matching `filter`, newest first (see ``MessagePage``).
    public func list(firmID: Int64, filter: MessageFilter, limit: Int, startingAfter: Int64?) async throws -> MessagePage {
        try await store.messagePage(firmID: firmID, filter: filter, limit: limit, startingAfter: startingAfter)
    }

    /// Cancels one pending message (again: no change). `.conflict` once sending has begun.
    public func cancel(id: Int64, firmID: Int64) async throws -> Message {
        _ = try await message(id: id, firmID: firmID)
        return try await store.cancelMessage(firmID: firmID, id: id, now: time.now)
    }

    /// Cancels every pending message of a blast.
    public func cancelBlast(_ blastID: String, firmID: Int64) async throws -> BlastCancellation {
        try await store.cancelBlast(firmID: firmID, blastID: blastID, channel: channel, now: time.now)
    }
}

extension MessagingService {
    /// The 422 for a request none of whose recipients can be sent to, listing each with its reason.
    func noValidRecipients(_ skipped: [SkippedRecipient]) -> DomainError {
        DomainError(.validation, "No valid recipients.", fields: ["recipients": skipped.map { "\($0.recipient): \($0.reason.rawValue)" }])
    }
}

extension SMSService: MessagingService {
    public var channel: Channel { .sms }
}

extension EmailService: MessagingService {
    public var channel: Channel { .email }
}
