/// An alphanumeric sender ID as Kenyan networks register it: 1 to 11 characters, ASCII letters, digits and spaces,
/// at least one letter, no leading or trailing space (`ACME`, `ACMEInfo`).
public struct SenderID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The longest sender ID the networks carry.
    public static let maximumLength = 11

    public let value: String

    /// - Throws: `.validation` on `field` saying what is wrong.
    public init(_ raw: String, field: String = "sender_id") throws {
        let problem: String? =
            if raw.isEmpty || raw.count > Self.maximumLength {
                "Use 1 to \(Self.maximumLength) characters."
            } else if !raw.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == " ") }) {
                "Use letters, digits and spaces only."
            } else if !raw.unicodeScalars.contains(where: { $0.properties.isAlphabetic }) {
                "Include at least one letter."
            } else if raw.hasPrefix(" ") || raw.hasSuffix(" ") {
                "No space at the start or end."
            } else {
                nil
            }
        if let problem { throw DomainError(.validation, "The sender ID is not valid.", fields: [field: [problem]]) }
        value = raw
    }

    public var description: String { value }
}

/// A firm's registered sender IDs, one per category; `nil` sends with the platform's default.
public struct SenderIDs: Hashable, Sendable, Codable {
    public var transactional: SenderID?
    public var promotional: SenderID?

    public init(transactional: SenderID? = nil, promotional: SenderID? = nil) {
        self.transactional = transactional
        self.promotional = promotional
    }

    /// The sender ID for `category`, or `nil` for the platform's default.
    public subscript(category: SMSCategory) -> SenderID? {
        switch category {
        case .transactional: transactional
        case .promotional: promotional
        }
    }
}
