import Foundation
import WLDomain

/// The one ``Store`` implementation, engine-neutral over an ``SQLDatabase``.
///
/// Both engines run the same statements (integers, text and `$n` binds only); the conformance suite proves they
/// behave the same.
public struct SQLStore: Store, RateLimitStore {
    /// The engine underneath.
    public let database: any SQLDatabase

    /// Wraps `database`; call ``migrate()`` before use.
    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Applies pending migrations.
    /// - Returns: The versions applied now.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await Migrator.migrate(database)
    }

    public func ping() async throws {
        _ = try await database.read { try await $0.query("SELECT 1 AS one") }
    }
}

extension SQLStore {
    /// Runs `body` in a write transaction, turning unique violations into `.duplicate`.
    @discardableResult
    func write<T: Sendable>(
        duplicate message: String = "That record already exists.", _ body: @Sendable (any SQLConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await database.transaction(body)
        } catch StoreError.uniqueViolation {
            throw DomainError(.duplicate, message)
        }
    }
}
