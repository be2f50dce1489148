/// A first-in, first-out pool of connections: a caller waits in line until one is free.
///
/// With a single connection it is the FIFO async lock that SQLite's one writer needs: an actor alone is not
/// enough, since another call could slip in at every `await` inside a transaction.
///
/// A caller cancelled while it waits leaves the line with `CancellationError`. Once the pool is drained for closing,
/// every caller still waiting, and every later one, gets 503 (``DatabaseAvailability/unavailable(retryAfter:)``):
/// nothing will ever give a connection back.
actor ConnectionPool<Connection: Sendable> {
    private var idle: [Connection]
    private var waiters: [(id: Int, continuation: CheckedContinuation<Connection, any Error>)] = []
    private var lastWaiter = 0
    private var closed = false

    init(_ connections: [Connection]) {
        precondition(!connections.isEmpty, "a pool needs a connection")
        self.idle = connections
    }

    /// Takes a connection, waiting in line behind earlier callers when none is free.
    /// - Throws: `CancellationError` when cancelled while waiting; 503 once the pool is closed.
    func lease() async throws -> Connection {
        guard !closed else { throw DatabaseAvailability.unavailable() }
        if let connection = idle.popLast() { return connection }
        lastWaiter += 1
        let id = lastWaiter
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Cancelled before it joined the line: the handler below ran too early to find it.
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.withdraw(id) }
        }
    }

    /// How many callers wait in line.
    var waiting: Int { waiters.count }

    /// Takes waiter `id` out of the line, if it is still in it.
    private func withdraw(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Hands `connection` to the longest waiter, or back to the idle list.
    func release(_ connection: Connection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().continuation.resume(returning: connection)
        }
    }

    /// Runs `body` with a leased connection and always gives it back.
    nonisolated func with<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Takes every connection out of the pool, waiting for those in use, and closes the pool; for closing. Call it
    /// from a task that is not cancelled.
    func drain(count: Int) async throws -> [Connection] {
        var all: [Connection] = []
        for _ in 0..<count { all.append(try await lease()) }
        closed = true
        let stranded = waiters
        waiters = []
        for waiter in stranded { waiter.continuation.resume(throwing: DatabaseAvailability.unavailable()) }
        return all
    }
}
