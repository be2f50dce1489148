import Synchronization

/// POSTs in flight to each firm's endpoint, shared by all of that firm's lanes: a POST takes a slot, waiting first
/// come first served while the firm has `limit` in flight, and hands it to the next waiter when it is answered.
final class EndpointSlots: Sendable {
    private struct Firm {
        var inFlight = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    /// Slots per firm (`webhooks.concurrency`).
    let limit: Int
    private let firms = Mutex<[Int64: Firm]>([:])

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `body` holding one of `firm`'s slots.
    func withSlot<T: Sendable>(_ firm: Int64, _ body: () async -> T) async -> T {
        await acquire(firm)
        defer { release(firm) }
        return await body()
    }

    /// POSTs in flight to `firm` now.
    func inFlight(_ firm: Int64) -> Int {
        firms.withLock { $0[firm]?.inFlight ?? 0 }
    }

    private func acquire(_ firm: Int64) async {
        let free = firms.withLock { firms in
            guard firms[firm, default: Firm()].inFlight < limit else { return false }
            firms[firm, default: Firm()].inFlight += 1
            return true
        }
        if free { return }
        // Every holder releases (a cancelled POST too), so a waiter always gets its turn.
        await withCheckedContinuation { continuation in
            let granted = firms.withLock { firms in
                if firms[firm, default: Firm()].inFlight < limit {
                    firms[firm, default: Firm()].inFlight += 1
                    return true
                }
                firms[firm, default: Firm()].waiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ firm: Int64) {
        let next = firms.withLock { firms -> CheckedContinuation<Void, Never>? in
            guard var entry = firms[firm] else { return nil }
            // The slot passes straight to the first waiter, so the count stays as it is.
            if !entry.waiting.isEmpty {
                let next = entry.waiting.removeFirst()
                firms[firm] = entry
                return next
            }
            entry.inFlight -= 1
            firms[firm] = entry.inFlight == 0 ? nil : entry
            return nil
        }
        next?.resume()
    }
}
