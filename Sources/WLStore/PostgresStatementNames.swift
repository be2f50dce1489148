import PostgresNIO
import Synchronization

/// Which statements run prepared on PostgreSQL, by name.
///
/// A statement text (with its parameter types: a `NULL` bound where a value was makes another statement) is named
/// once it has run successfully twice: only statements known to parse against the live schema are prepared
/// (PostgresNIO remembers a failed preparation on its connection for good), and a text that runs once (a console
/// query with its own filters) never takes a name from the hot ones. Names are kept for at most `limit` texts, so
/// statements built at run time could never fill a connection with prepared statements; beyond it, statements run
/// unnamed. The count of texts seen once is bounded too: past `4 × limit` it starts again.
/// A named statement that fails on a connection with anything but a constraint violation (a preparation PostgresNIO
/// may now refuse for good, say in an aborted transaction, or after another instance changed the schema) runs
/// unnamed on that connection from then on.
final class PostgresStatementNames: Sendable {
    /// A statement text and the types of its parameters.
    struct Key: Hashable, Sendable {
        let sql: String
        let types: [PostgresDataType]
    }

    private struct State {
        var names: [Key: String] = [:]
        /// Texts that have succeeded once, unnamed.
        var seenOnce: Set<Key> = []
        /// Names not to use on a connection (its id).
        var spoiled: Set<Spoiled> = []
    }

    private struct Spoiled: Hashable {
        let connection: Int
        let name: String
    }

    private let state = Mutex(State())
    private let limit: Int

    /// - Parameter limit: The most statement texts prepared (0: none, every statement runs unnamed).
    init(limit: Int) {
        self.limit = limit
    }

    /// The prepared statement's name for `key` on the connection with this id, or `nil` to run it unnamed.
    func name(of key: Key, connection: Int) -> String? {
        guard limit > 0 else { return nil }
        return state.withLock { state in
            guard let name = state.names[key] else { return nil }
            if !state.spoiled.isEmpty, state.spoiled.contains(Spoiled(connection: connection, name: name)) { return nil }
            return name
        }
    }

    /// Notes that the statement `name` failed on the connection with this id: it runs unnamed there from now on.
    func spoil(_ name: String, connection: Int) {
        _ = state.withLock { $0.spoiled.insert(Spoiled(connection: connection, name: name)) }
    }

    /// Notes that `key` ran successfully unnamed: the second time, it is named and runs prepared from then on,
    /// while there is room.
    func ranUnnamed(_ key: Key) {
        guard limit > 0 else { return }
        state.withLock { state in
            guard state.names[key] == nil, state.names.count < limit else { return }
            guard state.seenOnce.remove(key) != nil else {
                if state.seenOnce.count >= 4 * limit { state.seenOnce.removeAll() }
                state.seenOnce.insert(key)
                return
            }
            state.names[key] = "wl_\(state.names.count + 1)"
        }
    }

    /// How many statement texts are named.
    var count: Int { state.withLock { $0.names.count } }
}
