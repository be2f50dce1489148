import Synchronization

/// POSTs in flight to each firm's endpoint, shared by all of that firm's lanes: a POST takes a slot, waiting first
/// come first served while the firm has its window's limit in flight (see ``ConcurrencyWindow``: it starts at
/// `webhooks.concurrency`, grows while the endpoint answers 2xx, up to `webhooks.maxConcurrency`, and halves at each
/// failure), and hands it to the next waiter when it is answered.
final class EndpointSlots: Sendable {
    private struct Firm {
        var inFlight = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        var window: ConcurrencyWindow
    }

    /// Slots per firm at first (`webhooks.concurrency`).
    let start: Int
    /// The most slots per firm (`webhooks.maxConcurrency`).
    let ceiling: Int
    /// Each firm that has sent: its POSTs in flight, its waiters and its window (kept while idle, so what it learnt
    /// about the endpoint lasts; one small entry per firm).
    private let firms = Mutex<[Int64: Firm]>([:])

    init(start: Int, ceiling: Int) {
        self.start = max(1, start)
        self.ceiling = max(self.start, ceiling)
    }

    /// Runs `body` holding one of `firm`'s slots; `succeeded` says whether its result was a success for the window, or
    /// `nil` when nothing was sent (the window is left as it is).
    func withSlot<T: Sendable>(_ firm: Int64, _ body: () async -> T, succeeded: (T) -> Bool?) async -> T {
        await acquire(firm)
        let result = await body()
        release(firm, succeeded: succeeded(result))
        return result
    }

    /// The POSTs `firm` may have in flight now.
    func limit(_ firm: Int64) -> Int {
        firms.withLock { $0[firm]?.window.limit ?? start }
    }

    /// POSTs in flight to `firm` now.
    func inFlight(_ firm: Int64) -> Int {
        firms.withLock { $0[firm]?.inFlight ?? 0 }
    }

    private func newFirm() -> Firm { Firm(window: ConcurrencyWindow(start: start, ceiling: ceiling)) }

    private func acquire(_ firm: Int64) async {
        let free = firms.withLock { firms in
            var entry = firms[firm] ?? newFirm()
            defer { firms[firm] = entry }
            guard entry.inFlight < entry.window.limit else { return false }
            entry.inFlight += 1
            return true
        }
        if free { return }
        // Every holder releases (a cancelled POST too), so a waiter always gets its turn.
        await withCheckedContinuation { continuation in
            let granted = firms.withLock { firms in
                var entry = firms[firm] ?? newFirm()
                defer { firms[firm] = entry }
                if entry.inFlight < entry.window.limit {
                    entry.inFlight += 1
                    return true
                }
                entry.waiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Frees `firm`'s slot, tells its window how the POST went, and lets in as many waiters as the window now allows.
    private func release(_ firm: Int64, succeeded: Bool?) {
        let next = firms.withLock { firms -> [CheckedContinuation<Void, Never>] in
            guard var entry = firms[firm] else { return [] }
            if let succeeded { entry.window.answered(succeeded: succeeded) }
            entry.inFlight -= 1
            var next: [CheckedContinuation<Void, Never>] = []
            while entry.inFlight < entry.window.limit, !entry.waiting.isEmpty {
                next.append(entry.waiting.removeFirst())
                entry.inFlight += 1
            }
            firms[firm] = entry
            return next
        }
        for waiter in next { waiter.resume() }
    }
}
