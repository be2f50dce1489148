import Foundation
import Synchronization

/// Values kept for `lifetime` each, at most `capacity` of them (a full cache starts over), for the caches that spare
/// the store a read per request (``AuthenticationCache``, ``OptOutCache``).
///
/// A value read from the store before a ``forget(_:)`` is not kept after it: take a ``Ticket`` before the read and
/// hand it to ``keep(_:for:now:ticket:)``, or let ``value(for:now:load:)`` do both, which also lets callers that miss
/// the same key at the same time share one read.
final class ShortLivedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// When a read began, in ``forget(_:)`` calls.
    struct Ticket: Sendable {
        fileprivate let generation: Int
    }

    /// What a caller of ``value(for:now:load:)`` found: a kept value, or a load to wait for.
    private enum Lookup {
        case kept(Value)
        case loading(Task<Value?, any Error>)
    }

    private struct State {
        var values: [Key: (value: Value, expires: Date)] = [:]
        /// The reads under way, each with a number of its own and how many callers wait for it beside the one that
        /// started it.
        var loads: [Key: (number: Int, task: Task<Value?, any Error>, sharing: Int)] = [:]
        var loadsStarted = 0
        var generation = 0
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
        return state.withLock { state in
            guard let entry = state.values[key] else { return nil }
            guard entry.expires > now else {
                state.values[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// The value kept for `key`; else what `load` reads, kept until `now + lifetime` unless something was forgotten
    /// meanwhile (`nil` is returned and not kept). Callers that miss `key` while a load for it runs wait for that load
    /// instead of starting their own, so a busy key costs one read per lifetime, not one per caller that came while
    /// it expired. A ``forget(_:)`` lets the next caller start a new load. The load runs to the end even if the
    /// caller that started it is cancelled: others may be waiting for it.
    func value(for key: Key, now: Date, load: @escaping @Sendable () async throws -> Value?) async throws -> Value? {
        guard lifetime > 0 else { return try await load() }
        let found = state.withLock { state -> Lookup in
            if let entry = state.values[key] {
                if entry.expires > now { return .kept(entry.value) }
                state.values[key] = nil
            }
            if let load = state.loads[key] {
                state.loads[key]?.sharing += 1
                return .loading(load.task)
            }
            state.loadsStarted += 1
            let (number, generation) = (state.loadsStarted, state.generation)
            let task = Task {
                let result: Result<Value?, any Error>
                do { result = .success(try await load()) } catch { result = .failure(error) }
                self.finish(key, number: number, generation: generation, result: result, now: now)
                return try result.get()
            }
            state.loads[key] = (number, task, 0)
            return .loading(task)
        }
        switch found {
        case .kept(let value): return value
        case .loading(let task): return try await task.value
        }
    }

    /// Ends load `number` of `key`: keeps what it read unless something was forgotten since it began.
    private func finish(_ key: Key, number: Int, generation: Int, result: Result<Value?, any Error>, now: Date) {
        state.withLock { state in
            if state.loads[key]?.number == number { state.loads[key] = nil }
            guard case .success(let value?) = result, state.generation == generation else { return }
            insert(value, for: key, now: now, into: &state)
        }
    }

    /// How many callers wait for the load of `key` under way beside the one that started it (0 when none runs).
    func sharing(_ key: Key) -> Int { state.withLock { $0.loads[key]?.sharing ?? 0 } }

    /// Taken before reading a value to keep.
    func ticket() -> Ticket { state.withLock { Ticket(generation: $0.generation) } }

    /// Keeps `value` for `key` until `now + lifetime`, unless something was forgotten since `ticket` was taken.
    func keep(_ value: Value, for key: Key, now: Date, ticket: Ticket? = nil) {
        guard lifetime > 0 else { return }
        state.withLock { state in
            if let ticket, ticket.generation != state.generation { return }
            insert(value, for: key, now: now, into: &state)
        }
    }

    /// Keeps `value` until `now + lifetime`; a full cache starts over.
    private func insert(_ value: Value, for key: Key, now: Date, into state: inout State) {
        if state.values.count >= capacity, state.values[key] == nil { state.values.removeAll(keepingCapacity: true) }
        state.values[key] = (value, now.addingTimeInterval(lifetime))
    }

    /// Drops the values of `keys`, and refuses to keep any value whose read began before this call; a caller that
    /// asks for one of `keys` after it does not wait for a load that began before it.
    func forget(_ keys: some Sequence<Key>) {
        state.withLock { state in
            state.generation += 1
            for key in keys {
                state.values[key] = nil
                state.loads[key] = nil
            }
        }
    }
}
