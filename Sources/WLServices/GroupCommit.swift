import WLDomain
import WLPorts

/// Merges concurrent writes into shared transactions (group commit).
///
/// Each caller submits its item and waits for its own result. While one flush runs, new items queue; when it ends,
/// everything queued (up to `maxBatch`) goes into the next flush. So one caller alone pays one transaction, and
/// under load many callers share each one: the batching window is the time the previous flush took (and one yield
/// of the actor, which lets submissions already queued on it join), and no caller is answered before its own rows
/// are committed.
///
/// When a shared flush fails, its items are flushed again one by one, so each caller gets its own answer (a
/// duplicate blast id fails that request only); when it fails because the database is unavailable (503), every
/// caller of the batch gets that error at once. A caller cancelled while its item waits for a flush gets
/// `CancellationError` at once and its item is never written; once a flush has taken the item, the caller waits for
/// that flush (its rows may be committed).
public actor GroupCommit<Item: Sendable, Output: Sendable> {
    /// Writes the items in one transaction; returns one output per item, in order.
    public typealias Flush = @Sendable ([Item]) async throws -> [Output]

    private let flush: Flush
    private let maxBatch: Int
    private let weight: @Sendable (Item) -> Int
    private var waiting: [(id: Int, item: Item, continuation: CheckedContinuation<Output, any Error>)] = []
    private var submitted = 0
    private var flushing = false

    /// - Parameters:
    ///   - maxBatch: The most weight one flush takes (it always takes at least one item).
    ///   - weight: What one item weighs (by default 1: `maxBatch` counts items).
    ///   - flush: Writes a batch in one transaction.
    public init(maxBatch: Int = 256, weight: @escaping @Sendable (Item) -> Int = { _ in 1 }, flush: @escaping Flush) {
        self.maxBatch = max(1, maxBatch)
        self.weight = weight
        self.flush = flush
    }

    /// Items waiting for a flush.
    public var queued: Int { waiting.count }

    /// Writes `item` in the next flush and returns its output once that flush committed.
    public func submit(_ item: Item) async throws -> Output {
        submitted += 1
        let id = submitted
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Cancelled before it queued: the handler below ran too early to find it.
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                waiting.append((id, item, continuation))
                if !flushing {
                    flushing = true
                    Task { await self.drain() }
                }
            }
        } onCancel: {
            Task { await self.withdraw(id) }
        }
    }

    /// Answers the caller of submission `id` with `CancellationError` if no flush has taken its item yet.
    private func withdraw(_ id: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func drain() async {
        while !waiting.isEmpty {
            // Submissions already queued on this actor join before the batch is cut: one shared transaction
            // instead of a lone one and then another (+8 % single-recipient accepts on SQLite, docs/engine.md).
            await Task.yield()
            // A cancelled caller may have withdrawn the last waiting item meanwhile.
            if waiting.isEmpty { continue }
            var taken = 1
            var load = weight(waiting[0].item)
            while taken < waiting.count, load + weight(waiting[taken].item) <= maxBatch {
                load += weight(waiting[taken].item)
                taken += 1
            }
            let batch = Array(waiting.prefix(taken))
            waiting.removeFirst(taken)
            await run(batch)
        }
        flushing = false
    }

    private func run(_ batch: [(id: Int, item: Item, continuation: CheckedContinuation<Output, any Error>)]) async {
        do {
            let outputs = try await flush(batch.map(\.item))
            guard outputs.count == batch.count else { throw GroupCommitError.outputCount(expected: batch.count, got: outputs.count) }
            for (entry, output) in zip(batch, outputs) { entry.continuation.resume(returning: output) }
        } catch {
            // An outage fails every item alike: one by one, each would wait out the same outage again (a store's
            // patience) while the callers behind them wait too.
            guard batch.count > 1, !error.isDatabaseUnavailable else {
                for entry in batch { entry.continuation.resume(throwing: error) }
                return
            }
            for entry in batch {
                do {
                    let outputs = try await flush([entry.item])
                    guard let output = outputs.first else { throw GroupCommitError.outputCount(expected: 1, got: 0) }
                    entry.continuation.resume(returning: output)
                } catch {
                    entry.continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// A flush that broke its contract.
enum GroupCommitError: Error {
    case outputCount(expected: Int, got: Int)
}

extension GroupCommit where Item == BlastWrite, Output == [Message] {
    /// The most messages one shared transaction writes (a larger blast is written alone).
    static var messagesPerCommit: Int { 20_000 }

    /// Writes the blasts of concurrent requests to `store` in shared transactions.
    static func blasts(_ store: any MessageStore) -> GroupCommit {
        GroupCommit(maxBatch: messagesPerCommit, weight: \.messages.count) { try await store.createBlasts($0) }
    }
}
