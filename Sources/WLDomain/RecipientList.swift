/// Why a recipient was left out of a send.
public enum SkipReason: String, Codable, Sendable {
    /// Not a Kenyan mobile number (SMS) or not an address (email).
    case invalidNumber = "invalid_number"
    case invalidEmail = "invalid_email"
    /// The same recipient appeared earlier in the request.
    case duplicate
    /// On the firm's suppression list.
    case suppressed
    /// SMS: on the firm's opt-out list.
    case optedOut = "opted_out"
    /// SMS: a promotional message to a number without recorded consent, for a firm that requires it.
    case noConsent = "no_consent"
}

/// A recipient left out, with the reason.
public struct SkippedRecipient: Hashable, Codable, Sendable {
    public var recipient: String
    public var reason: SkipReason

    public init(recipient: String, reason: SkipReason) {
        self.recipient = recipient
        self.reason = reason
    }
}

/// The recipients of an SMS request, normalised and de-duplicated, with every refused entry and why.
public struct SMSRecipients: Sendable {
    /// At most this many entries in one request.
    public static let maximum = 10_000

    public var valid: [PhoneNumber]
    public var skipped: [SkippedRecipient]

    /// Normalises `raw` in order; later copies of a number are `duplicate`.
    /// - Throws: `.validation` for an empty list or more than ``maximum`` entries.
    public init(_ raw: [String]) throws {
        try Self.checkCount(raw)
        var seen: Set<PhoneNumber> = []
        valid = []
        skipped = []
        for entry in raw {
            guard let number = PhoneNumber(entry) else {
                skipped.append(SkippedRecipient(recipient: entry, reason: .invalidNumber))
                continue
            }
            if seen.insert(number).inserted {
                valid.append(number)
            } else {
                skipped.append(SkippedRecipient(recipient: entry, reason: .duplicate))
            }
        }
    }

    /// - Throws: `.validation` for an empty list or more than ``maximum`` entries.
    static func checkCount(_ raw: [String]) throws {
        guard !raw.isEmpty else {
            throw DomainError(
                .validation, "Give at least one recipient.", fields: ["recipients": ["This field is required: give at least one recipient."]])
        }
        guard raw.count <= maximum else {
            throw DomainError(
                .validation, "Too many recipients: at most \(maximum) in one request.",
                fields: ["recipients": ["At most \(maximum) recipients; this request has \(raw.count). Split it into several requests."]])
        }
    }
}
