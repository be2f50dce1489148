import Dispatch

/// A serial executor on a thread of its own for the Swift code of SQLite's write transactions: between two
/// statements, a transaction resumes here instead of queueing behind HTTP work on the cooperative threads while it
/// holds the one write lock that every other writer waits for.
final class WriterExecutor: TaskExecutor, @unchecked Sendable {
    // Immutable after init; DispatchQueue is thread-safe.
    private let queue: DispatchQueue
    private static let marker = DispatchSpecificKey<Bool>()

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        queue.setSpecific(key: Self.marker, value: true)
    }

    /// Whether the calling code runs on a writer executor.
    static var isCurrent: Bool { DispatchQueue.getSpecific(key: marker) == true }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
