public import Logging
import ServiceLifecycle
import WLPorts
public import WLStore

/// Opens the store for a one-shot command (migrate, seed, admin), runs `body`, and closes it again.
public enum StoreSession {
    /// Opens and migrates the store at `location`, runs `body` with it, then closes it.
    /// - Parameter secrets: The keys that seal stored secrets (see ``StoreLocation/secretBox(_:logger:)``).
    public static func with<T: Sendable>(
        _ location: StoreLocation, secrets: SecretKeySettings = SecretKeySettings(), logger: Logger, _ body: @Sendable (SQLStore) async throws -> T
    ) async throws -> T {
        let box = try location.secretBox(secrets, logger: logger)
        let database = try await location.open(logger: logger)
        let store = SQLStore(database: database, secrets: box)
        if let postgres = database as? PostgresDatabase {
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await postgres.run() }
                defer { group.cancelAll() }
                try await store.migrate()
                return try await body(store)
            }
        }
        do {
            try await store.migrate()
            let result = try await body(store)
            try await database.close()
            return result
        } catch {
            try? await database.close()
            throw error
        }
    }
}
