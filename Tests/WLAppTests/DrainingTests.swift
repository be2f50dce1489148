import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WLPorts

@testable import WLServices

/// Services stop one after another; a worker must not go on claiming while those stopped before it drain.
@Suite struct DrainingTests {
    /// A worker that always finds work: each round takes a millisecond and notes when it began.
    final class BusyWorker: Service {
        let draining: Draining?
        let signal: WorkSignal
        let starts = Mutex<[ContinuousClock.Instant]>([])

        init(draining: Draining?, signal: WorkSignal) {
            self.draining = draining
            self.signal = signal
        }

        func run() async throws {
            await runRounds(
                ready: nil, signal: signal, pollInterval: .milliseconds(5), draining: draining, logger: Logger(label: "test"), failure: "x"
            ) {
                self.starts.withLock { $0.append(.now) }
                try await Task.sleep(for: .milliseconds(1))
                return 1
            }
        }
    }

    /// A service stopped before the worker that is slow to finish what it holds (a webhook lane on a slow endpoint):
    /// it stops once the worker has begun five more rounds, or after 2 s.
    final class SlowToStop: Service {
        let stopping = Mutex<ContinuousClock.Instant?>(nil)
        let worker: BusyWorker

        init(worker: BusyWorker) {
            self.worker = worker
        }

        func run() async throws {
            try? await gracefulShutdown()
            let began = ContinuousClock.now
            stopping.withLock { $0 = began }
            while ContinuousClock.now - began < .seconds(2), worker.starts.withLock({ $0.count(where: { $0 > began }) }) < 5 {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// Runs the worker, the slow one and (when given) the draining service, in the app's order; stops them once the
    /// worker has done a few rounds. Returns how many rounds began after the slow service began to stop.
    func roundsWhileOthersStop(draining: Draining?) async throws -> Int {
        let signal = WorkSignal()
        let worker = BusyWorker(draining: draining, signal: signal)
        let slow = SlowToStop(worker: worker)
        let services: [any Service] = [worker, slow] + (draining.map { [DrainingService($0)] } ?? [])
        let group = ServiceGroup(configuration: .init(services: services, logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while worker.starts.withLock({ $0.count }) < 5 { try await Task.sleep(for: .milliseconds(2)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let began = try #require(slow.stopping.withLock { $0 })
        return worker.starts.withLock { $0.count(where: { $0 > began }) }
    }

    @Test func onceTheProcessBeginsToStopNoWorkerStartsARoundWhileTheOthersDrain() async throws {
        let signal = WorkSignal()
        #expect(try await roundsWhileOthersStop(draining: Draining(waking: [signal])) <= 1)
    }

    @Test func withoutDrainingAWorkerGoesOnClaimingUntilItsTurn() async throws {
        // The behaviour this fixes, shown so that the check above can fail.
        #expect(try await roundsWhileOthersStop(draining: nil) >= 5)
    }

    /// A worker with nothing to do, polling every 10 s.
    final class IdleWorker: Service {
        let draining: Draining
        let signal: WorkSignal

        init(draining: Draining, signal: WorkSignal) {
            self.draining = draining
            self.signal = signal
        }

        func run() async throws {
            await runRounds(ready: nil, signal: signal, pollInterval: .seconds(10), draining: draining, logger: Logger(label: "test"), failure: "x") {
                0
            }
        }
    }

    @Test func anIdleWorkerIsWokenToStopAtOnceNotAtItsNextPoll() async throws {
        let signal = WorkSignal()
        let draining = Draining(waking: [signal])
        let group = ServiceGroup(
            configuration: .init(
                services: [IdleWorker(draining: draining, signal: signal), DrainingService(draining)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Asked only once the worker sleeps on its signal: a worker that has not got there yet would stop at its
            // next check of the flag without being woken, and the test would not show the waking.
            for _ in 0..<1_000 where !signal.isWaiting { try await Task.sleep(for: .milliseconds(5)) }
            try #require(signal.isWaiting)
            let asked = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(ContinuousClock.now - asked < .seconds(5))
        }
    }
}
