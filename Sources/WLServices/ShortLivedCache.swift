import Foundation
import Synchronization

/// Values kept for `lifetime` each, at most `capacity` of them (a full cache starts over), for the caches that spare
/// the store a read per request (``AuthenticationCache``, ``OptOutCache``).
///
/// A value read from the store before a ``forget(_:)`` is not kept after it: take a ``Ticket`` before the read and
/// hand it to ``keep(_:for:now:ticket:)``.
final class ShortLivedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// When a read began, in ``forget(_:)`` calls.
    struct Ticket: Sendable {
        fileprivate let generation: Int
    }

    private struct State {
        var values: [Key: (value: Value, expires: Date)] = [:]
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

    /// Taken before reading a value to keep.
    func ticket() -> Ticket { state.withLock { Ticket(generation: $0.generation) } }

    /// Keeps `value` for `key` until `now + lifetime`, unless something was forgotten since `ticket` was taken.
    func keep(_ value: Value, for key: Key, now: Date, ticket: Ticket? = nil) {
        guard lifetime > 0 else { return }
        state.withLock { state in
            if let ticket, ticket.generation != state.generation { return }
            if state.values.count >= capacity, state.values[key] == nil { state.values.removeAll(keepingCapacity: true) }
            state.values[key] = (value, now.addingTimeInterval(lifetime))
        }
    }

    /// Drops the values of `keys`, and refuses to keep any value whose read began before this call.
    func forget(_ keys: some Sequence<Key>) {
        state.withLock { state in
            state.generation += 1
            for key in keys { state.values[key] = nil }
        }
    }
}
