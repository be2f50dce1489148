import Synchronization
import Testing
import WLDomain
import WLPorts
import WLServices

/// The tests wait for the commit's queue with unbounded `Task.yield()` loops; the time limit fails a test whose
/// awaited state never comes instead of hanging the run.
@Suite(.timeLimit(.minutes(1))) struct GroupCommitTests {
    /// Records each flush's items; the first flush waits until `release` is called, so submissions pile up behind it.
    final class Recorder: Sendable {
        let flushes = Mutex<[[Int]]>([])
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let gateOpened = Mutex(false)
        /// An item whose flush fails (alone or with others).
        let bad: Int?
        /// Every flush after the first fails as a database outage does (503).
        let outage: Bool

        init(bad: Int? = nil, outage: Bool = false) {
            self.bad = bad
            self.outage = outage
        }

        func flush(_ items: [Int]) async throws -> [String] {
            let first = flushes.withLock { flushes in
                flushes.append(items)
                return flushes.count == 1
            }
            if first {
                await withCheckedContinuation { continuation in
                    let open = gateOpened.withLock { $0 }
                    if open { continuation.resume() } else { gate.withLock { $0 = continuation } }
                }
            }
            if let bad, items.contains(bad) { throw Unlucky() }
            if outage && !first { throw DomainError(.serviceUnavailable, "The database is unavailable right now.") }
            return items.map { "#\($0)" }
        }

        func release() {
            gateOpened.withLock { $0 = true }
            gate.withLock { $0 }?.resume()
        }

        var flushCount: Int { flushes.withLock { $0.count } }
    }

    struct Unlucky: Error {}

    @Test func submissionsThatArriveDuringAFlushShareTheNextOneAndEachGetsItsOwnAnswer() async throws {
        let recorder = Recorder()
        let commit = GroupCommit<Int, String>(maxBatch: 100) { try await recorder.flush($0) }
        async let first = commit.submit(0)
        // The first flush is running (and held) before the others arrive.
        while recorder.flushCount == 0 { await Task.yield() }
        let others = Task {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for item in 1...20 { group.addTask { (item, try await commit.submit(item)) } }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
        }
        // Wait until all 20 are queued behind the held flush: nothing else can flush meanwhile.
        while await commit.queued < 20 { await Task.yield() }
        recorder.release()
        #expect(try await first == "#0")
        let answers = try await others.value
        #expect(answers == Dictionary(uniqueKeysWithValues: (1...20).map { ($0, "#\($0)") }))
        let flushes = recorder.flushes.withLock { $0 }
        #expect(flushes.count == 2)
        #expect(flushes[0] == [0])
        #expect(flushes[1].sorted() == Array(1...20))
    }

    @Test func aCallerCancelledWhileItsItemWaitsIsAnsweredAtOnceAndItsItemIsNeverWritten() async throws {
        let recorder = Recorder()
        let commit = GroupCommit<Int, String>(maxBatch: 100) { try await recorder.flush($0) }
        async let first = commit.submit(0)
        while recorder.flushCount == 0 { await Task.yield() }
        let waiting = Task { try await commit.submit(1) }
        let staying = Task { try await commit.submit(2) }
        while await commit.queued < 2 { await Task.yield() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(await commit.queued == 1)
        recorder.release()
        #expect(try await first == "#0")
        #expect(try await staying.value == "#2")
        #expect(recorder.flushes.withLock { $0 } == [[0], [2]])
        // A caller already cancelled never queues.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await commit.submit(3)
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        #expect(recorder.flushes.withLock { $0 } == [[0], [2]])
    }

    @Test func callersCancelledAsTheySubmitEachGetOneAnswerAndOnlyWrittenItemsAreFlushed() async throws {
        let flushed = Mutex<[Int]>([])
        let commit = GroupCommit<Int, String>(maxBatch: 100) { items in
            flushed.withLock { $0 += items }
            return items.map { "#\($0)" }
        }
        var written = 0
        for item in 0..<200 {
            let lone = Task { try await commit.submit(item) }
            lone.cancel()
            do {
                #expect(try await lone.value == "#\(item)")
                written += 1
            } catch {
                #expect(error is CancellationError)
            }
        }
        #expect(flushed.withLock { $0.count } == written)
        #expect(try await commit.submit(1_000) == "#1000")
    }

    @Test func aFailedSharedFlushIsRetriedItemByItemSoOnlyTheBadItemFails() async throws {
        let recorder = Recorder(bad: 13)
        let commit = GroupCommit<Int, String>(maxBatch: 100) { try await recorder.flush($0) }
        async let first = commit.submit(0)
        while recorder.flushCount == 0 { await Task.yield() }
        let a = Task { try await commit.submit(12) }
        let b = Task { try await commit.submit(13) }
        let c = Task { try await commit.submit(14) }
        while await commit.queued < 3 { await Task.yield() }
        recorder.release()
        _ = try await first
        #expect(try await a.value == "#12")
        #expect(try await c.value == "#14")
        await #expect(throws: Unlucky.self) { try await b.value }
        let flushes = recorder.flushes.withLock { $0 }
        #expect(flushes.dropFirst().first?.sorted() == [12, 13, 14])
        #expect(flushes.dropFirst(2).sorted { $0[0] < $1[0] } == [[12], [13], [14]])
    }

    @Test func aSharedFlushFailedByAnOutageAnswersEveryItemOnceAndIsNotRetriedItemByItem() async throws {
        let recorder = Recorder(outage: true)
        let commit = GroupCommit<Int, String>(maxBatch: 100) { try await recorder.flush($0) }
        async let first = commit.submit(0)
        while recorder.flushCount == 0 { await Task.yield() }
        let waiting = (1...3).map { item in Task { try await commit.submit(item) } }
        while await commit.queued < 3 { await Task.yield() }
        recorder.release()
        _ = try await first
        for task in waiting {
            let error = await #expect(throws: DomainError.self) { try await task.value }
            #expect(error?.code == .serviceUnavailable)
        }
        let flushes = recorder.flushes.withLock { $0 }
        #expect(flushes.count == 2)
        #expect(flushes.last?.sorted() == [1, 2, 3])
    }

    @Test func aFlushTakesItemsUpToTheWeightLimitButAlwaysOne() async throws {
        let recorder = Recorder()
        let commit = GroupCommit<Int, String>(maxBatch: 10, weight: { $0 }, flush: { try await recorder.flush($0) })
        async let first = commit.submit(1)
        while recorder.flushCount == 0 { await Task.yield() }
        let big = Task { try await commit.submit(25) }
        while await commit.queued < 1 { await Task.yield() }
        let small = Task { try await commit.submit(4) }
        while await commit.queued < 2 { await Task.yield() }
        let smaller = Task { try await commit.submit(5) }
        while await commit.queued < 3 { await Task.yield() }
        recorder.release()
        _ = try await first
        #expect(try await [big.value, small.value, smaller.value] == ["#25", "#4", "#5"])
        // 25 alone is over the limit yet flushed, alone; 4 + 5 fit one flush.
        #expect(recorder.flushes.withLock { $0 } == [[1], [25], [4, 5]])
    }
}
