import Synchronization
import WLDomain

/// The line for the password thread (``RenderExecutor/passwords``): bcrypt runs there one hash at a time, and at most
/// ``limit`` hashes may wait, so a burst of sign-ins cannot queue minutes of hashing that every other sign-in would
/// wait behind.
public final class PasswordLine: Sendable {
    /// How many hashes may run or wait at once in a server's line.
    public static let defaultLimit = 32
    /// The line of code that runs outside a server (the command line).
    public static let shared = PasswordLine(limit: defaultLimit)

    /// Hashes that may be running or waiting at once.
    public let limit: Int
    private let waiting = Atomic(0)

    /// Hashes running or waiting now.
    public var inLine: Int { waiting.load(ordering: .relaxed) }

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `work` on the password thread.
    /// - Parameter queues: Waits its turn however long the line is, for work no network request asked for (the
    ///   sandbox user seeded at start-up, the command line): many servers started at once in one process (the tests)
    ///   must not fail to start because their seeds were refused.
    /// - Throws: `.serviceUnavailable` (retry after 1 s) while ``limit`` hashes are running or waiting, unless it `queues`.
    public func run<Result: Sendable>(queues: Bool = false, _ work: @escaping @Sendable () -> Result) async throws -> Result {
        guard waiting.add(1, ordering: .relaxed).newValue <= limit || queues else {
            waiting.subtract(1, ordering: .relaxed)
            throw DomainError(.serviceUnavailable, "Too many sign-ins at once: try again in a moment.", retryAfter: 1)
        }
        defer { waiting.subtract(1, ordering: .relaxed) }
        return await RenderExecutor.passwords.run(work)
    }
}
