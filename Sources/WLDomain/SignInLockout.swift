public import Foundation

/// When failed sign-ins lock an account: the first ``freeFailures`` in a row cost nothing; each one after locks the
/// account for ``baseLock`` doubled per extra failure, at most ``maximumLock``. A successful sign-in starts over.
public enum SignInLockout {
    /// Failures in a row before any lock.
    public static let freeFailures = 5
    /// The first lock, in seconds.
    public static let baseLock: TimeInterval = 30
    /// The longest lock, in seconds.
    public static let maximumLock: TimeInterval = 900

    /// How long the account is locked after its `failures`-th failure in a row (`nil`: not at all).
    public static func lock(afterFailures failures: Int) -> TimeInterval? {
        guard failures > freeFailures else { return nil }
        let doublings = min(failures - freeFailures - 1, 10)
        return min(baseLock * Double(1 << doublings), maximumLock)
    }

    /// The end of the lock after the `failures`-th failure at `now`.
    public static func lockedUntil(afterFailures failures: Int, now: Date) -> Date? {
        lock(afterFailures: failures).map { now.addingTimeInterval($0) }
    }

    /// Whole seconds until `lockedUntil`, or `nil` when the account is not locked at `now`.
    public static func secondsLeft(lockedUntil: Date?, now: Date) -> Int? {
        guard let lockedUntil, lockedUntil > now else { return nil }
        // Stores keep milliseconds: a lock read back may end a fraction of one later than it was set.
        return max(1, Int((lockedUntil.timeIntervalSince(now) - 0.001).rounded(.up)))
    }
}
