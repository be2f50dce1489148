import Dispatch
import NIOPosix

/// The executor of SQLite's write transactions: the writer connection's own thread. A write transaction's Swift code
/// runs on the thread that runs its statements, so between two statements it neither waits behind HTTP work on the
/// cooperative threads nor wakes another thread, while it holds the one write lock every other writer waits for.
final class WriterExecutor: TaskExecutor, @unchecked Sendable {
    // Immutable after init; NIOThreadPool is thread-safe.
    private let pool: NIOThreadPool
    private static let running = ThreadSpecificVariable<Marker>()
    private static let marker = Marker()
    private final class Marker: Sendable {}

    /// - Parameter pool: The writer connection's thread pool, of one thread.
    init(pool: NIOThreadPool) {
        self.pool = pool
    }

    /// Whether the calling code runs as a job of a writer executor.
    static var isCurrent: Bool { running.currentValue != nil }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { state in
            guard case .active = state else {
                // The pool has stopped (the database is closed): the job still has to run somewhere.
                return DispatchQueue.global().async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
            }
            Self.running.currentValue = Self.marker
            job.runSynchronously(on: self.asUnownedTaskExecutor())
            Self.running.currentValue = nil
        }
    }
}
