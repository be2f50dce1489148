public import Foundation
import Synchronization
public import WLPorts

/// Keeps each firm's SMS opt-out list, when it is short, for a short time, so that a busy firm's sends are checked
/// against it without a store read each (the read was about a quarter of a single-recipient `POST /sms`).
///
/// The price is staleness across processes: a number listed or taken off by another instance, the CLI or a send the
/// network refused (`blacklisted`) is seen here within `lifetime`. That is safe where it matters: the dispatcher
/// checks the list again just before each send, so a message accepted meanwhile to a listed number fails "Opted
/// out", free. Changes made through this process's ``OptOutService`` forget the firm's list at once. A list longer
/// than `listLimit` is not kept (its sends read the store as before), and at most `capacity` firms are: a full cache
/// starts over.
public final class OptOutCache: Sendable {
    private enum List {
        case short(Set<String>)
        case long
    }

    private struct Entries {
        var lists: [Int64: (list: List, expires: Date)] = [:]
        /// Moves at every ``forget(firmIDs:)``: a list read before it is not kept after it.
        var generation = 0
    }

    /// How long a firm's list is trusted, in seconds; zero keeps nothing.
    public let lifetime: TimeInterval
    let listLimit: Int
    let capacity: Int
    private let entries = Mutex(Entries())

    /// - Parameters:
    ///   - lifetime: How long a list read from the store is used.
    ///   - listLimit: The longest list kept.
    ///   - capacity: The most firms kept.
    public init(lifetime: TimeInterval, listLimit: Int = 256, capacity: Int = 1_000) {
        self.lifetime = max(0, lifetime)
        self.listLimit = max(0, listLimit)
        self.capacity = max(1, capacity)
    }

    /// Which of `phones` (E.164 digits) are on the firm's list: from the kept list while it is fresh, otherwise read
    /// (the whole list when it is short, then kept until `now + lifetime`; only these numbers when it is long).
    public func listed(_ phones: [String], firmID: Int64, store: any OptOutStore, now: Date) async throws -> Set<String> {
        guard !phones.isEmpty else { return [] }
        guard lifetime > 0 else { return try await Self.lookUp(phones, firmID: firmID, store: store) }
        let (kept, generation) = entries.withLock { entries in
            (entries.lists[firmID].flatMap { $0.expires > now ? $0.list : nil }, entries.generation)
        }
        switch kept {
        case .short(let list): return Set(phones.filter(list.contains))
        case .long: return try await Self.lookUp(phones, firmID: firmID, store: store)
        case nil: break
        }
        let page = try await store.optOuts(firmID: firmID, limit: listLimit + 1, startingAfter: nil)
        let list: List = page.count > listLimit ? .long : .short(Set(page.map(\.phone)))
        entries.withLock { entries in
            guard entries.generation == generation else { return }
            if entries.lists.count >= capacity, entries.lists[firmID] == nil { entries.lists.removeAll(keepingCapacity: true) }
            entries.lists[firmID] = (list, now.addingTimeInterval(lifetime))
        }
        guard case .short(let short) = list else { return try await Self.lookUp(phones, firmID: firmID, store: store) }
        return Set(phones.filter(short.contains))
    }

    /// Drops these firms' lists (their lists changed), and keeps no list read before this call.
    public func forget(firmIDs: some Sequence<Int64>) {
        entries.withLock { entries in
            entries.generation += 1
            for firmID in firmIDs { entries.lists[firmID] = nil }
        }
    }

    private static func lookUp(_ phones: [String], firmID: Int64, store: any OptOutStore) async throws -> Set<String> {
        Set(try await store.optedOut(phones.map { FirmPhone(firmID: firmID, phone: $0) }).map(\.phone))
    }
}
