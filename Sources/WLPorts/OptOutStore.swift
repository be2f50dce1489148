public import Foundation
public import WLDomain

/// How a number came onto a firm's opt-out list.
public enum OptOutSource: String, Codable, Sendable, CaseIterable {
    /// The firm, through `POST /sms/opt-outs`.
    case api
    /// A platform admin, through the CLI.
    case admin
    /// Africa's Talking's opt-out notification (the subscriber dialled the opt-out code).
    case provider
    /// The provider refused a send because the number blocked the sender (`UserInBlacklist`).
    case blacklisted
}

/// One number a firm must not text.
public struct OptOut: Hashable, Sendable, Codable {
    /// `254…` digits.
    public var phone: String
    public var source: OptOutSource
    public var createdAt: Date

    public init(phone: String, source: OptOutSource, createdAt: Date) {
        self.phone = phone
        self.source = source
        self.createdAt = createdAt
    }
}

/// Each firm's SMS opt-out (suppression) list.
public protocol OptOutStore: Sendable {
    /// Adds these numbers; one already listed keeps its first source and time.
    /// - Returns: How many were new.
    @discardableResult
    func addOptOuts(_ entries: [FirmPhone], source: OptOutSource, now: Date) async throws -> Int
    /// Removes a number. - Returns: Whether it was listed.
    func removeOptOut(_ entry: FirmPhone) async throws -> Bool
    /// The firm's list in number order, `limit` after the number `startingAfter`.
    func optOuts(firmID: Int64, limit: Int, startingAfter: String?) async throws -> [OptOut]
    /// Which of these pairs are listed.
    func optedOut(_ entries: [FirmPhone]) async throws -> Set<FirmPhone>
    /// The firms that send under `senderID`: those that registered it for either category, and, when it is the
    /// platform's default (`isDefault`), those that leave a category to the default.
    func firmIDs(sendingAs senderID: String, isDefault: Bool) async throws -> [Int64]
}
