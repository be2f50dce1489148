public import ServiceLifecycle
import Synchronization
public import WLPorts

/// The process has begun to stop: every worker stops claiming at once.
///
/// The services stop one after another, in reverse order of start, and each worker hears of the shutdown only when its
/// turn comes; until then it would go on claiming new batches while the ones before it finish theirs, and the last
/// ones might meet the end of the grace period with fresh work in hand. So the first of them to stop (``DrainingService``)
/// begins draining for all: each finishes the round in flight, claims nothing more, and waits for its own turn.
public final class Draining: Sendable {
    private let begun = Atomic(false)
    private let signals: [WorkSignal]

    /// - Parameter signals: The workers' signals, to wake those waiting for work so that they stop at once.
    public init(waking signals: [WorkSignal] = []) {
        self.signals = signals
    }

    /// Whether the workers should claim nothing more.
    public var hasBegun: Bool { begun.load(ordering: .acquiring) }

    /// Stops every worker's claims.
    public func begin() {
        guard !begun.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for signal in signals { signal.signal() }
    }

    /// Once a worker has drained, waits for its own turn to stop (a service that returned before it would make its
    /// group cancel every other service). Returns at once when it has come or the task is cancelled.
    func waitForOwnShutdown() async {
        guard hasBegun, !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        try? await gracefulShutdown()
    }
}

/// Begins ``Draining`` when the process starts to stop. Registered after every worker, so the service group tells it
/// first (right after the HTTP server).
public struct DrainingService: Service {
    let draining: Draining

    public init(_ draining: Draining) {
        self.draining = draining
    }

    public func run() async throws {
        try? await gracefulShutdown()
        draining.begin()
    }
}
