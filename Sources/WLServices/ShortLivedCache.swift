import Foundation
import Synchronization

/// Values kept for `lifetime` each, at most `capacity` of them (a full cache drops its expired values, and starts
/// over if that frees none), for the caches that spare the store a read per request (``AuthenticationCache``,
/// ``OptOutCache``).
///
/// Callers that miss the same key at the same time share one read (``value(for:now:load:)``). A value read before a
/// ``forget(_:)`` of its key, or a ``forget(where:)``, is not kept after it.
final class ShortLivedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Value?, any Error>

    /// A read under way: which key it reads, the callers waiting for it, and the task that reads.
    private struct Load {
        let key: Key
        var waiters: [Int: Waiter]
        var task: Task<Void, Never>?
    }

    private struct State {
        var values: [Key: (value: Value, expires: Date)] = [:]
        /// The load whose result will be kept, per key. A forget removes the key's entry: its load still answers the
        /// callers already waiting for it, but keeps nothing, and the next caller starts a new one.
        var current: [Key: Int] = [:]
        var loads: [Int: Load] = [:]
        /// The load each waiting caller waits for.
        var waiting: [Int: Int] = [:]
        /// Numbers loads and waiting callers.
        var counter = 0

        /// The value kept for `key` unless it expired at `now` (then it is dropped).
        mutating func fresh(_ key: Key, now: Date) -> Value? {
            guard let entry = values[key] else { return nil }
            guard entry.expires > now else {
                values[key] = nil
                return nil
            }
            return entry.value
        }

        mutating func next() -> Int {
            counter += 1
            return counter
        }
    }

    /// How long a value is kept, in seconds; zero keeps nothing.
    let lifetime: TimeInterval
    private let capacity: Int
    private let state = Mutex(State())

    init(lifetime: TimeInterval, capacity: Int) {
        self.lifetime = max(0, lifetime)
        self.capacity = max(1, capacity)
    }

    /// The value kept for `key`, unless it is older than `lifetime` at `now` (then it is dropped).
    func value(for key: Key, now: Date) -> Value? {
        guard lifetime > 0 else { return nil }
        return state.withLock { $0.fresh(key, now: now) }
    }

    /// The value kept for `key`; else what `load` reads, kept until `now + lifetime` unless the key is forgotten
    /// meanwhile (`nil` is returned and not kept, nor is an error).
    ///
    /// Callers that miss `key` while a load for it runs wait for that load instead of starting their own, so a busy
    /// key costs one read per lifetime, not one per caller that came while it expired. A ``forget(_:)`` lets the next
    /// caller start a new load. A cancelled caller stops waiting at once with `CancellationError`; the load goes on
    /// while anyone else waits for it, and is cancelled when no one does.
    func value(for key: Key, now: Date, load: @escaping @Sendable () async throws -> Value?) async throws -> Value? {
        guard lifetime > 0 else { return try await load() }
        let kept = state.withLock { state in state.fresh(key, now: now).map { ($0, 0) } ?? (nil, state.next()) }
        if let value = kept.0 { return value }
        let waiter = kept.1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                state.withLock { state in
                    // The cancellation handler may have run before this caller was registered: it found nothing then.
                    if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                    if let value = state.fresh(key, now: now) { return continuation.resume(returning: value) }
                    if let number = state.current[key] {
                        state.loads[number]?.waiters[waiter] = continuation
                        state.waiting[waiter] = number
                        return
                    }
                    let number = state.next()
                    state.current[key] = number
                    state.waiting[waiter] = number
                    state.loads[number] = Load(key: key, waiters: [waiter: continuation])
                    state.loads[number]?.task = Task {
                        let result: Result<Value?, any Error>
                        do { result = .success(try await load()) } catch { result = .failure(error) }
                        self.finish(number, result: result, now: now)
                    }
                }
            }
        } onCancel: {
            stopWaiting(waiter)
        }
    }

    /// Ends load `number`: keeps what it read if it is still its key's current load, and answers its waiters.
    private func finish(_ number: Int, result: Result<Value?, any Error>, now: Date) {
        let waiters = state.withLock { state -> [Waiter] in
            guard let load = state.loads.removeValue(forKey: number) else { return [] }
            for waiter in load.waiters.keys { state.waiting[waiter] = nil }
            if state.current[load.key] == number {
                state.current[load.key] = nil
                if case .success(let value?) = result { insert(value, for: load.key, now: now, into: &state) }
            }
            return Array(load.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    /// A cancelled caller stops waiting; a load no one waits for any more is cancelled and keeps nothing.
    private func stopWaiting(_ waiter: Int) {
        let (continuation, abandoned) = state.withLock { state -> (Waiter?, Task<Void, Never>?) in
            guard let number = state.waiting.removeValue(forKey: waiter), var load = state.loads[number] else { return (nil, nil) }
            let continuation = load.waiters.removeValue(forKey: waiter)
            guard load.waiters.isEmpty else {
                state.loads[number] = load
                return (continuation, nil)
            }
            state.loads[number] = nil
            if state.current[load.key] == number { state.current[load.key] = nil }
            return (continuation, load.task)
        }
        continuation?.resume(throwing: CancellationError())
        abandoned?.cancel()
    }

    /// How many callers wait for the load of `key` under way (0 when none runs).
    func waiters(_ key: Key) -> Int {
        state.withLock { state in state.current[key].flatMap { state.loads[$0]?.waiters.count } ?? 0 }
    }

    /// Keeps `value` until `now + lifetime`. A full cache first drops what expired at `now`, and starts over if that
    /// frees nothing.
    private func insert(_ value: Value, for key: Key, now: Date, into state: inout State) {
        if state.values.count >= capacity, state.values[key] == nil {
            state.values = state.values.filter { $0.value.expires > now }
            if state.values.count >= capacity { state.values.removeAll(keepingCapacity: true) }
        }
        state.values[key] = (value, now.addingTimeInterval(lifetime))
    }

    /// Drops the values of `keys`; a load of one of them that began before this call keeps nothing, and a caller
    /// that asks for one of them after it does not wait for such a load.
    func forget(_ keys: some Sequence<Key>) {
        state.withLock { state in
            for key in keys {
                state.values[key] = nil
                state.current[key] = nil
            }
        }
    }

    /// Drops every value that `isStale` picks, and keeps nothing that any load under way reads: a load that began
    /// before this call may have read what made them stale.
    func forget(where isStale: (Key, Value) -> Bool) {
        state.withLock { state in
            state.values = state.values.filter { !isStale($0.key, $0.value.value) }
            state.current.removeAll()
        }
    }
}
