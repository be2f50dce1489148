public import Foundation

/// How many M-Pesa prompts one firm may send to one phone number, so that no tenant can flood a phone with STK
/// pushes: at most ``maxPending`` still waiting at once, and at most ``maxPerHour`` started in any rolling hour.
/// Sandbox firms are held to the same limits.
public struct PurchaseLimits: Hashable, Sendable {
    /// The rolling window of ``maxPerHour``: one hour.
    public static let window: TimeInterval = 3_600

    /// Payments to one phone that may be `Pending` at once (default 2).
    public var maxPending: Int
    /// Payments to one phone that may start within ``window``, whatever became of them (default 5).
    public var maxPerHour: Int

    /// Limits of at least 1 each (a smaller value is taken as 1).
    public init(maxPending: Int = 2, maxPerHour: Int = 5) {
        self.maxPending = max(1, maxPending)
        self.maxPerHour = max(1, maxPerHour)
    }

    /// Whether one more payment to the phone may start at `now`.
    /// - Parameters:
    ///   - startedInWindow: When the phone's payments of the past ``window`` started; the newest ``maxPerHour`` are
    ///     enough.
    ///   - pending: How many of the phone's payments are `Pending`.
    /// - Throws: ``PurchaseLimitExceeded``: the hourly cap first (it says when a slot frees), then the pending one.
    public func check(startedInWindow: [Date], pending: Int, now: Date) throws(PurchaseLimitExceeded) {
        let inWindow = startedInWindow.filter { $0 > now.addingTimeInterval(-Self.window) }.sorted(by: >)
        // While the maxPerHour-th newest is in the window, it is full; a slot frees when that one leaves it.
        if inWindow.count >= maxPerHour {
            throw .hourly(limit: maxPerHour, freeAt: inWindow[maxPerHour - 1].addingTimeInterval(Self.window))
        }
        if pending >= maxPending { throw .pending(limit: maxPending) }
    }
}

/// A purchase the store refused because it would break the firm's ``PurchaseLimits`` for that phone.
public enum PurchaseLimitExceeded: Error, Hashable, Sendable {
    /// `limit` payments to the phone are still `Pending`; one frees when the payer answers or reconciliation settles it.
    case pending(limit: Int)
    /// `limit` payments to the phone started in the past hour; a slot frees at `freeAt`, when the oldest of the last
    /// `limit` leaves the window.
    case hourly(limit: Int, freeAt: Date)
}
