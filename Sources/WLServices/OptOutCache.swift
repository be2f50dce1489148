public import Foundation
import WLDomain
public import WLPorts

/// Keeps each firm's SMS opt-out list, when it is short, for a short time, so that a busy firm's sends are checked
/// against it without a store read each (the read was about a quarter of a single-recipient `POST /sms`).
///
/// The price is staleness across processes: a number listed or taken off by another instance or the CLI is seen here
/// within `lifetime`. That is safe where it matters: the dispatcher checks the list again just before each send, so a
/// message accepted meanwhile to a listed number fails "Opted out", free. Changes made in this process (through
/// ``OptOutService``, or a send the network refused, recorded by ``SMSDispatcher``) forget the firm's list at once.
/// A list longer than `listLimit` is not kept (its sends read the store as before), and at most `capacity` firms are:
/// a full cache starts over. Sends of one firm that miss its list together share one read of it.
public final class OptOutCache: Sendable {
    private enum List {
        case short(Set<String>)
        case long
    }

    let listLimit: Int
    private let kept: ShortLivedCache<Int64, List>

    /// - Parameters:
    ///   - lifetime: How long a list read from the store is used, in seconds; zero keeps nothing.
    ///   - listLimit: The longest list kept.
    ///   - capacity: The most firms kept.
    public init(lifetime: TimeInterval, listLimit: Int = 256, capacity: Int = 1_000) {
        self.listLimit = max(0, listLimit)
        kept = ShortLivedCache(lifetime: lifetime, capacity: capacity)
    }

    /// Which of `phones` (E.164 digits) are on the firm's list: from the kept list while it is fresh, otherwise read
    /// (the whole list when it is short, then kept until `now + lifetime`; only these numbers when it is long).
    public func listed(_ phones: [String], firmID: Int64, store: any OptOutStore, now: Date) async throws -> Set<String> {
        guard !phones.isEmpty else { return [] }
        guard kept.lifetime > 0 else { return try await Self.lookUp(phones, firmID: firmID, store: store) }
        let limit = listLimit
        let list = try await kept.value(for: firmID, now: now) {
            let page = try await store.optOuts(firmID: firmID, limit: limit + 1, startingAfter: nil)
            return page.count > limit ? List.long : List.short(Set(page.map(\.phone)))
        }
        guard case .short(let short)? = list else { return try await Self.lookUp(phones, firmID: firmID, store: store) }
        return Set(phones.filter(short.contains))
    }

    /// Drops these firms' lists (their lists changed), and keeps no list read before this call.
    public func forget(firmIDs: some Sequence<Int64>) { kept.forget(firmIDs) }

    private static func lookUp(_ phones: [String], firmID: Int64, store: any OptOutStore) async throws -> Set<String> {
        Set(try await store.optedOut(phones.map { FirmPhone(firmID: firmID, phone: $0) }).map(\.phone))
    }
}
