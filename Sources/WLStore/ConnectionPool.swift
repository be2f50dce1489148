/// A first-in, first-out pool of connections: a caller waits in line until one is free.
///
/// With a single connection it is the FIFO async lock that SQLite's one writer needs: an actor alone is not
/// enough, since another call could slip in at every `await` inside a transaction.
actor ConnectionPool<Connection: Sendable> {
    private var idle: [Connection]
    private var waiters: [CheckedContinuation<Connection, Never>] = []

    init(_ connections: [Connection]) {
        precondition(!connections.isEmpty, "a pool needs a connection")
        self.idle = connections
    }

    /// Takes a connection, waiting in line behind earlier callers when none is free.
    func lease() async -> Connection {
        if let connection = idle.popLast() { return connection }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Hands `connection` to the longest waiter, or back to the idle list.
    func release(_ connection: Connection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().resume(returning: connection)
        }
    }

    /// Runs `body` with a leased connection and always gives it back.
    nonisolated func with<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = await lease()
        do {
            let result = try await body(connection)
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Takes every connection out of the pool, waiting for those in use; for closing.
    func drain(count: Int) async -> [Connection] {
        var all: [Connection] = []
        for _ in 0..<count { all.append(await lease()) }
        return all
    }
}
