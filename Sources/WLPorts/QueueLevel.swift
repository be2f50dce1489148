public import Foundation

/// How full one queue is: for `/metrics`, and for alerts on "SMS stuck".
public struct QueueLevel: Sendable, Hashable {
    /// `sms`, `email` or `webhooks`.
    public var queue: String
    /// `pending` (waiting to be sent) or `processing` (sent, its outcome awaited); webhooks only `pending`.
    public var status: String
    public var depth: Int
    /// Pending: the oldest due time among rows already due (`nil`: none is due yet). Processing: the oldest acceptance.
    public var oldest: Date?

    public init(queue: String, status: String, depth: Int, oldest: Date?) {
        self.queue = queue
        self.status = status
        self.depth = depth
        self.oldest = oldest
    }

    /// Every queue and status the levels are given for (a queue with nothing in it has depth 0).
    public static let all: [(queue: String, status: String)] = [
        ("sms", "pending"), ("sms", "processing"), ("email", "pending"), ("email", "processing"), ("webhooks", "pending"),
    ]
}
