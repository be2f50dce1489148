public import Foundation
public import WLDomain

/// One person, as a firm knows them: by phone number (`254…` digits) or by email address (lower case).
public enum DataSubject: Hashable, Sendable {
    case phone(String)
    case email(String)

    /// The value as stored.
    public var value: String {
        switch self {
        case .phone(let digits): digits
        case .email(let address): address
        }
    }
}

/// What erasing a person removed.
public struct ErasureSummary: Hashable, Sendable, Codable {
    public var contacts = 0
    public var messages = 0
    public var cancelled = 0
    public var payments = 0
    public var optOuts = 0
    public var suppressions = 0
    public var idempotencyRecords = 0

    public init() {}
}

/// Everything held about one person, for a subject access request.
public struct PersonalDataExport: Sendable {
    public var contacts: [Contact] = []
    public var messages: [Message] = []
    public var optOut: OptOut?
    public var emailSuppressed = false
    /// M-Pesa purchases paid from the number.
    public var payments: [Payment] = []

    public init() {}
}

/// The Data Protection Act duties that reach into storage: erasure and access (old message bodies are redacted by
/// ``HousekeepingStore/redactMessageBodies(createdBefore:limit:)``).
public protocol PrivacyStore: Sendable {
    /// Removes `subject` from the firm's records: contacts, opt-out and suppression entries and stored idempotent
    /// responses that mention it are deleted; messages to it keep their status, cost and times but lose recipient,
    /// body and subject; payments from the number lose it. Ledger rows and amounts are untouched. Messages to it still
    /// waiting are cancelled first. The messages go in transactions of a bounded number each, the rest in one more.
    /// - Throws: `.conflict` while a message to it is being handed to the provider (try again shortly: the steps
    ///   already committed stay done, and the retry finishes the rest).
    func erase(firmID: Int64, subject: DataSubject, now: Date) async throws -> ErasureSummary
    /// What the firm holds about `subject`.
    func personalData(firmID: Int64, subject: DataSubject) async throws -> PersonalDataExport
}

/// The recipient an erased message shows.
public let erasedRecipient = "[erased]"
