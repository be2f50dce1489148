/// The channel a message goes out on.
public enum Channel: String, Codable, Sendable, CaseIterable {
    case sms
    case email

    /// The prefix of a blast id: `SMS-…`, `MAIL-…`.
    public var blastPrefix: String { self == .sms ? "SMS" : "MAIL" }
}

/// A message's delivery status, with the contract's numeric codes: 0 pending, 3 processing, 1 delivered, 2 failed.
public enum MessageStatus: String, Codable, Sendable, CaseIterable {
    case pending
    case processing
    case delivered
    case failed

    /// The contract's `status_code`.
    public var code: Int {
        switch self {
        case .pending: 0
        case .processing: 3
        case .delivered: 1
        case .failed: 2
        }
    }

    /// Creates the status for a contract code.
    public init?(code: Int) {
        guard let status = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = status
    }

    /// Whether no further change can happen.
    public var isFinal: Bool { self == .delivered || self == .failed }

    /// Statuses only move forward: pending → processing → delivered or failed (pending may fail directly, when a
    /// message cannot be paid for or is cancelled). A final status never changes; a repeat is not a change.
    public func canMove(to next: MessageStatus) -> Bool {
        switch (self, next) {
        case (.pending, .processing), (.pending, .failed), (.processing, .delivered), (.processing, .failed): true
        default: false
        }
    }

    /// The event name of a change into this status, e.g. `communication.sms.delivered`; `nil` for pending, which is
    /// the state a message is created in and emits no event.
    public func eventName(for channel: Channel) -> String? {
        self == .pending ? nil : "communication.\(channel.rawValue).\(rawValue)"
    }
}
