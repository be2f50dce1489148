import Dispatch

/// A serial executor on a thread of its own for CPU-heavy rendering (personalising and converting email bodies), so
/// that a large email never occupies the cooperative threads that serve HTTP. Work queues here one job at a time.
public final class RenderExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's render thread.
    public static let shared = RenderExecutor(label: "wlcomm.render")
    /// The process's password-hashing thread: bcrypt runs one hash at a time here, so a burst of sign-ins waits in
    /// line instead of taking every core.
    public static let passwords = RenderExecutor(label: "wlcomm.passwords")

    // Immutable after init; DispatchQueue is thread-safe.
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .utility)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs `work` on the render thread and returns its result.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withTaskExecutorPreference(self) { try await Self.perform(work) }
    }

    /// Runs `work` on the render thread and returns its result.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withTaskExecutorPreference(self) { await Self.perform(work) }
    }

    // A nonisolated async function runs on the preferred task executor.
    private static func perform<Result>(_ work: () throws -> Result) async rethrows -> Result { try work() }
}
