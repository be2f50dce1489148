import Foundation
public import WLDomain

/// The body of `POST /email`, as the contract names its fields.
public struct EmailRequest: Decodable, Sendable {
    /// The longest subject (RFC 5322's line limit).
    public static let maximumSubjectLength = 998
    /// The longest message, in characters.
    public static let maximumLength = 200_000
    /// A personalised message (one with placeholders) is rendered and stored once per recipient: its size in UTF-8
    /// bytes times the number of recipients may be at most this (16 MiB). A message without placeholders is stored
    /// once per blast, whatever the number of recipients.
    public static let maximumPersonalisedBytes = 16 << 20
    /// The largest body one recipient's placeholders may render to, in UTF-8 bytes (256 KiB).
    public static let maximumRenderedBytes = 256 << 10
    /// The most that all recipients' rendered bodies and subjects may add up to, in UTF-8 bytes (32 MiB).
    public static let maximumRenderedTotalBytes = 32 << 20

    public var subject: String?
    public var message: String?
    /// Addresses, each plain or with its own placeholder values.
    public var recipients: [RecipientEntry]?
    public var sendAt: String?
    public var reference: String?

    public init(subject: String?, message: String?, recipients: [String]?, sendAt: String? = nil, reference: String? = nil) {
        self.subject = subject
        self.message = message
        self.recipients = recipients?.map { RecipientEntry(to: $0) }
        self.sendAt = sendAt
        self.reference = reference
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case subject, message, recipients, reference
        case sendAt = "send_at"
    }

    /// Decodes the known fields and refuses any other.
    public init(from decoder: any Decoder) throws {
        try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        subject = try container.decodeIfPresent(String.self, forKey: .subject)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        recipients = try container.decodeIfPresent([RecipientEntry].self, forKey: .recipients)
        sendAt = try container.decodeIfPresent(String.self, forKey: .sendAt)
        reference = try container.decodeIfPresent(String.self, forKey: .reference)
    }

    /// The checked request.
    struct Valid: Sendable {
        var subject: String
        var template: String
        var isHTML: Bool
        var recipients: EmailRecipients
        var reference: String?
        /// Each address's own placeholder values, by its comparison key (the first entry of an address wins).
        var variables: [String: [String: String]] = [:]
    }

    /// Whether `subject` has a CR or LF, which a header line may not.
    static func hasLineBreak(_ subject: String) -> Bool {
        subject.contains { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
    }

    /// Checks every field at once.
    /// - Throws: `.validation` naming each bad field.
    func validated() throws -> Valid {
        var errors: [String: [String]] = [:]
        let subject = subject ?? ""
        if subject.trimmingCharacters(in: .whitespaces).isEmpty {
            errors["subject"] = [self.subject == nil ? "This field is required." : "May not be empty or only spaces."]
        } else if subject.unicodeScalars.count > Self.maximumSubjectLength {
            errors["subject"] = ["At most \(Self.maximumSubjectLength) characters; this one has \(subject.unicodeScalars.count)."]
        } else if Self.hasLineBreak(subject) {
            errors["subject"] = ["Line breaks are not allowed in a subject."]
        }
        let template = message ?? ""
        if template.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            errors["message"] = [message == nil ? "This field is required." : "May not be empty or only spaces."]
        } else if template.unicodeScalars.count > Self.maximumLength {
            errors["message"] = ["At most \(Self.maximumLength) characters; this one has \(template.unicodeScalars.count)."]
        }
        if let reference, reference.unicodeScalars.count > SMSRequest.maximumReferenceLength {
            errors["reference"] = ["At most \(SMSRequest.maximumReferenceLength) characters."]
        }
        let entries = recipients ?? []
        var list: EmailRecipients?
        do {
            list = try EmailRecipients(entries.map(\.to))
        } catch let error as DomainError {
            errors.merge(error.fields) { $0 + $1 }
        }
        var variables: [String: [String: String]] = [:]
        for entry in entries where !entry.variables.isEmpty {
            if let address = EmailAddress(entry.to), variables[address.comparisonKey] == nil { variables[address.comparisonKey] = entry.variables }
        }
        let fields = [("subject", subject), ("message", template)].filter { errors[$0.0] == nil }
        let placeholders = Placeholders.validationErrors(in: fields, order: list?.valid.map(\.comparisonKey) ?? [], variables: variables)
        errors.merge(placeholders) { $0 + $1 }
        guard errors.isEmpty, let list else { throw DomainError(.validation, "The request is not valid.", fields: errors) }
        return Valid(
            subject: subject, template: template, isHTML: HTMLText.isHTML(template), recipients: list, reference: reference,
            variables: variables)
    }
}
