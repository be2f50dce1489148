public import Foundation

/// The one retry strategy of every queue (SMS, email, webhooks): after a failed attempt, wait and try again, or give
/// up once the attempts are used.
///
/// The wait after failed attempt `n` (1-based) is the `n`-th delay (``Delays``), times a jitter factor drawn from an
/// injected random value in 0…1 (±``jitter``, so workers that failed together do not retry together), and never
/// less than the `Retry-After` the other side asked for. Pure: the caller supplies the random value.
public struct RetryPolicy: Sendable, Hashable {
    /// Where the waits come from, before jitter.
    public enum Delays: Sendable, Hashable {
        /// `base`, then twice as long after each failure, never more than `cap`.
        case exponential(base: TimeInterval, cap: TimeInterval)
        /// The wait after each failed attempt in turn (a documented schedule); the last one repeats.
        case schedule([TimeInterval])
    }

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Hashable {
        /// Try again after this many seconds.
        case retry(after: TimeInterval)
        /// The attempts are used up.
        case giveUp
    }

    public var delays: Delays
    /// The jitter as a fraction of the delay: 0.2 spreads each wait over ±20 %.
    public var jitter: Double
    /// Attempts in all, the first included; after the last one fails the policy gives up.
    public var maxAttempts: Int

    /// Exponential backoff: `base` seconds after the first failure, doubling, capped at `cap`.
    public init(base: TimeInterval, cap: TimeInterval, maxAttempts: Int, jitter: Double = 0.2) {
        self.delays = .exponential(base: base, cap: cap)
        self.jitter = jitter
        self.maxAttempts = maxAttempts
    }

    /// A fixed schedule: `schedule[n - 1]` seconds after failed attempt `n`; by default one attempt more than it has
    /// delays (the first attempt plus one per delay).
    public init(schedule: [TimeInterval], maxAttempts: Int? = nil, jitter: Double = 0.2) {
        self.delays = .schedule(schedule)
        self.jitter = jitter
        self.maxAttempts = maxAttempts ?? schedule.count + 1
    }

    /// The wait after failed attempt number `attempt` (1-based), before jitter.
    public func baseDelay(afterAttempt attempt: Int) -> TimeInterval {
        let index = max(1, attempt) - 1
        switch delays {
        case .exponential(let base, let cap):
            guard base > 0 else { return 0 }
            // 2^index overflows to infinity for large attempts; the cap bounds it either way.
            return min(cap, base * pow(2, Double(index)))
        case .schedule(let schedule):
            guard let last = schedule.last else { return 0 }
            return index < schedule.count ? schedule[index] : last
        }
    }

    /// The wait after failed attempt number `attempt` (1-based), with jitter from `random` in 0…1 (0.5: none).
    public func delay(afterAttempt attempt: Int, random: Double) -> TimeInterval {
        let spread = min(max(random, 0), 1)
        return baseDelay(afterAttempt: attempt) * (1 - jitter + 2 * jitter * spread)
    }

    /// The longest `Retry-After` honoured: one hour. A longer one (or an absurd one: `1e300`, infinity) is read as
    /// an hour, so no answer from the other side can park an item for ever or overflow a timestamp.
    public static let longestRetryAfter: TimeInterval = 3_600

    /// After failed attempt number `attempt` (1-based): give up when it was the last allowed, otherwise retry after
    /// the jittered delay, or after `retryAfter` seconds (at most ``longestRetryAfter``; a negative or NaN one is
    /// ignored) when that is longer.
    public func decide(afterAttempt attempt: Int, retryAfter: TimeInterval? = nil, random: Double) -> Decision {
        guard attempt < maxAttempts else { return .giveUp }
        let asked = retryAfter.map { $0.isNaN ? 0 : min(max($0, 0), Self.longestRetryAfter) } ?? 0
        return .retry(after: max(delay(afterAttempt: attempt, random: random), asked))
    }
}

extension RetryPolicy {
    /// Webhook deliveries: after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±10 %), then failed; eight attempts in
    /// all. The public documentation promises these values.
    public static let webhooks = RetryPolicy(schedule: [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000], jitter: 0.1)
}
