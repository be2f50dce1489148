/// Failures below the domain that the domain cannot express: the database said something we cannot read,
/// or the recorded migrations disagree with the code.
public enum StoreError: Error, Equatable, Sendable {
    /// A row did not have the shape the code expects.
    case corrupt(String)
    /// The database records migrations this build does not know: it was migrated by a newer or different build.
    case migrationMismatch(String)
    /// A unique constraint refused the write; the store turns this into `DomainError(.duplicate)` where it matters.
    case uniqueViolation(String)
    /// The configured database URL is not one we can open.
    case invalidURL(String)
}
