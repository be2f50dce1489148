public import WLDomain
public import WLStore

/// What every channel's service offers for messages already scheduled: read one, list, cancel one, cancel a blast.
public protocol MessagingService: Sendable {
    /// The channel its messages go out on.
    var channel: Channel { get }
    func message(id: Int64, firmID: Int64) async throws -> Message
    func list(firmID: Int64, filter: MessageFilter, limit: Int, startingAfter: Int64?) async throws -> [Message]
    func cancel(id: Int64, firmID: Int64) async throws -> Message
    func cancelBlast(_ blastID: String, firmID: Int64) async throws -> BlastCancellation
}

extension SMSService: MessagingService {
    public var channel: Channel { .sms }
}

extension EmailService: MessagingService {
    public var channel: Channel { .email }
}
