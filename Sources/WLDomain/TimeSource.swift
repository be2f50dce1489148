public import Foundation

/// Where "now" comes from. Services take one so that tests can set the time instead of sleeping.
public protocol TimeSource: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The system clock.
public struct SystemTimeSource: TimeSource {
    public init() {}
    public var now: Date { Date() }
}
