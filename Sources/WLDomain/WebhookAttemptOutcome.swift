public import Foundation

/// What one delivery attempt decided.
public enum WebhookAttemptOutcome: Sendable, Hashable {
    /// A 2xx: delivered.
    case succeeded
    /// Failed; try again at this time.
    case retry(at: Date)
    /// Failed for the last time.
    case failed
    /// 410 Gone: the delivery fails and the firm's endpoint is disabled until it is set again.
    case disableEndpoint(reason: String)
}

/// Where a webhook delivery stands.
public enum WebhookDeliveryStatus: String, Codable, Sendable, CaseIterable {
    case pending
    case succeeded
    case failed
}
