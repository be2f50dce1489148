import Foundation
public import WLDomain
public import WLPorts

/// The one ``Store`` implementation, engine-neutral over an ``SQLDatabase``.
///
/// Both engines run the same statements (integers, text and `$n` binds only); the conformance suite proves they
/// behave the same.
public struct SQLStore: Store, RateLimitStore {
    /// The engine underneath.
    public let database: any SQLDatabase

    /// Seals webhook secrets and the tracking key at rest; `nil` keeps them as given (tests that predate encryption).
    public let secrets: SecretBox?

    /// Signalled after each committed transaction that may have written webhook outbox rows, so this process's
    /// deliverer starts at once instead of at its next poll.
    public let outboxWritten: WorkSignal?

    /// The most rows one page of a message listing or of the webhook delivery log reads (``MessagePage``,
    /// ``WebhookDeliveryPage``): 10,000, a few milliseconds of work.
    public var listingWindow = 10_000

    /// Wraps `database`; call ``migrate()`` before use, then ``resealSecrets(_:)`` with `.plaintext`.
    public init(database: any SQLDatabase, secrets: SecretBox? = nil, outboxWritten: WorkSignal? = nil) {
        self.database = database
        self.secrets = secrets
        self.outboxWritten = outboxWritten
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
    /// - Parameter outbox: The transaction may write webhook outbox rows: ``outboxWritten`` is signalled once it
    ///   commits.
    func write<T: Sendable>(
        duplicate message: String = "That record already exists.", outbox: Bool = false,
        _ body: @escaping @Sendable (any SQLConnection) async throws -> T
    ) async throws -> T {
        do {
            let result = try await database.transaction(body)
            if outbox { outboxWritten?.signal() }
            return result
        } catch StoreError.uniqueViolation {
            throw DomainError(.duplicate, message)
        }
    }
}
