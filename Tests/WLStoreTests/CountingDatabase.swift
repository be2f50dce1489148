import Synchronization
import WLPorts
import WLStore

/// A database that counts the statements run through it, to check that a batch costs the same number of
/// statements whatever its size.
final class CountingDatabase: SQLDatabase {
    let base: any SQLDatabase
    let statements = Mutex(0)

    init(_ base: any SQLDatabase) { self.base = base }

    var dialect: SQLDialect { base.dialect }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await base.read { try await body(Counted(base: $0, owner: self)) }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await base.transaction { try await body(Counted(base: $0, owner: self)) }
    }

    func close() async throws {}

    func run() async throws {}

    /// The statements run while `body` ran.
    func counting(_ body: () async throws -> Void) async rethrows -> Int {
        let before = statements.withLock { $0 }
        try await body()
        return statements.withLock { $0 } - before
    }

    struct Counted: SQLConnection {
        let base: any SQLConnection
        let owner: CountingDatabase

        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            owner.statements.withLock { $0 += 1 }
            return try await base.query(sql, binds)
        }
    }
}
