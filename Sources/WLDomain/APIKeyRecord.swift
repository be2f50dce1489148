public import Foundation

/// What the store keeps of an API key: never the key itself.
public struct APIKeyRecord: Hashable, Codable, Sendable {
    public var id: Int64
    public var firmID: Int64
    /// Lower-case hex SHA-256 of the key.
    public var hash: String
    /// The first characters of the key, for people to tell keys apart.
    public var displayPrefix: String
    public var label: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: Int64, firmID: Int64, hash: String, displayPrefix: String, label: String, createdAt: Date,
        lastUsedAt: Date?, revokedAt: Date?
    ) {
        self.id = id
        self.firmID = firmID
        self.hash = hash
        self.displayPrefix = displayPrefix
        self.label = label
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}
