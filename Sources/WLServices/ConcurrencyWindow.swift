/// How many POSTs one endpoint may have in flight: it grows by one after each full window of answers that all
/// succeeded and halves at every failure (additive increase, multiplicative decrease, as TCP paces a connection).
///
/// So a healthy endpoint soon takes `ceiling` POSTs at once and its backlog drains in fewer round trips, while one
/// that errs or times out is sent fewer and fewer at once, down to one, until it recovers.
public struct ConcurrencyWindow: Sendable, Equatable {
    /// The fewest POSTs in flight: one.
    public static let floor = 1
    /// The most POSTs in flight.
    public let ceiling: Int
    /// POSTs allowed in flight now.
    public private(set) var limit: Int
    /// Successes since the limit last changed.
    private var successes = 0

    /// A window that starts at `start` and grows up to `ceiling`.
    public init(start: Int, ceiling: Int) {
        self.ceiling = max(Self.floor, ceiling)
        self.limit = min(max(Self.floor, start), self.ceiling)
    }

    /// Notes one answer: a success (a 2xx) counts toward the next step up; anything else halves the limit.
    public mutating func answered(succeeded: Bool) {
        guard succeeded else {
            limit = max(Self.floor, limit / 2)
            successes = 0
            return
        }
        successes += 1
        if successes >= limit && limit < ceiling {
            limit += 1
            successes = 0
        }
    }
}
