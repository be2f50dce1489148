import Foundation
public import WLDomain

/// The one ``Store`` implementation, engine-neutral over an ``SQLDatabase``.
///
/// Both engines run the same statements (integers, text and `$n` binds only); the conformance suite proves they
/// behave the same.
public struct SQLStore: Store, RateLimitStore {
    /// The engine underneath.
    public let database: any SQLDatabase

    /// Seals webhook secrets and the tracking key at rest; `nil` keeps them as given (tests that predate encryption).
    public let secrets: SecretBox?

    /// Wraps `database`; call ``migrate()`` before use, then ``resealSecrets(_:)`` with `.plaintext`.
    public init(database: any SQLDatabase, secrets: SecretBox? = nil) {
        self.database = database
        self.secrets = secrets
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
        duplicate message: String = "That record already exists.", _ body: @escaping @Sendable (any SQLConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await database.transaction(body)
        } catch StoreError.uniqueViolation {
            throw DomainError(.duplicate, message)
        }
    }
}
