public import WLDomain

/// The body of `POST /sms` and `POST /sms/quote`, as the contract names its fields.
public struct SMSRequest: FlatJSONDecodable, Sendable {
    /// The longest message, in characters, before placeholders are filled.
    public static let maximumLength = 1_000
    /// The longest message to one recipient once its placeholders are filled (before an opt-out footer), in
    /// characters: ten 160-character segments.
    public static let maximumFilledLength = 1_600
    /// The longest `reference`.
    public static let maximumReferenceLength = 255

    public var message: String?
    /// Numbers, each plain or with its own placeholder values.
    public var recipients: [RecipientEntry]?
    public var sendAt: String?
    public var reference: String?
    /// `transactional` (when absent) or `promotional`.
    public var category: String?

    public init(message: String?, recipients: [String]?, sendAt: String? = nil, reference: String? = nil, category: String? = nil) {
        self.message = message
        self.recipients = recipients?.map { RecipientEntry(to: $0) }
        self.sendAt = sendAt
        self.reference = reference
        self.category = category
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case message
        case recipients
        case sendAt = "send_at"
        case reference
        case category
    }

    /// Decodes the known fields and refuses any other: a misspelt `sendAt` must not silently send now.
    public init(from decoder: any Decoder) throws {
        try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        recipients = try container.decodeIfPresent([RecipientEntry].self, forKey: .recipients)
        sendAt = try container.decodeIfPresent(String.self, forKey: .sendAt)
        reference = try container.decodeIfPresent(String.self, forKey: .reference)
        category = try container.decodeIfPresent(String.self, forKey: .category)
    }

    /// A body of plain values, read without `JSONDecoder`: each field known, its value a string or `null`, and
    /// `recipients` an array of plain numbers (objects with `variables` go through `init(from:)`).
    public init?(flatJSON fields: [FlatJSONReader.Field]) {
        for (key, value) in fields {
            guard let field = CodingKeys(rawValue: key) else { return nil }
            switch (field, value) {
            case (_, .null): continue
            case (.message, .string(let text)): message = text
            case (.recipients, .strings(let numbers)): recipients = numbers.map { RecipientEntry(to: $0) }
            case (.sendAt, .string(let text)): sendAt = text
            case (.reference, .string(let text)): reference = text
            case (.category, .string(let text)): category = text
            default: return nil
            }
        }
    }

    /// Whether `text` has only whitespace: what `trimmingCharacters(in: .whitespacesAndNewlines)` leaves empty, without
    /// Foundation's string bridging. Foundation also counts the zero-width space (U+200B), which Unicode no longer does.
    static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.properties.isWhitespace || $0 == "\u{200B}" }
    }

    /// The checked request: every field's problems at once.
    struct Valid {
        var template: String
        var recipients: SMSRecipients
        var reference: String?
        var category: SMSCategory
        /// Each number's own placeholder values, by `254…` digits (the first entry of a number wins, as it does for
        /// the number itself).
        var variables: [String: [String: String]]

        /// Moves the valid numbers (`254…` digits) for which `condition` holds to the skipped ones, for `reason`.
        mutating func skip(_ reason: SkipReason, where condition: (String) -> Bool) {
            let dropped = recipients.valid.filter { condition($0.e164Digits) }
            guard !dropped.isEmpty else { return }
            recipients.valid.removeAll { condition($0.e164Digits) }
            recipients.skipped += dropped.map { SkippedRecipient(recipient: $0.e164Digits, reason: reason) }
        }
    }

    /// Checks every field and returns the usable parts.
    ///
    /// Limits: `message` at most ``maximumLength`` characters, `reference` ``maximumReferenceLength``, at most
    /// ``SMSRecipients/maximum`` recipients, each with at most ``RecipientEntry/maximumVariables`` variables, and at
    /// most ``Placeholders/maximumNames`` different placeholders.
    /// - Throws: `.validation` naming each bad field; 422 at the edge.
    func validated() throws -> Valid {
        var errors: [String: [String]] = [:]
        let template = message ?? ""
        if Self.isBlank(template) {
            errors["message"] = [message == nil ? "This field is required." : "May not be empty or only spaces."]
        } else if template.unicodeScalars.count > Self.maximumLength {
            errors["message"] = ["At most \(Self.maximumLength) characters; this one has \(template.unicodeScalars.count)."]
        }
        if let reference, reference.unicodeScalars.count > Self.maximumReferenceLength {
            errors["reference"] = ["At most \(Self.maximumReferenceLength) characters."]
        }
        let parsedCategory = category.map { SMSCategory(rawValue: $0) } ?? .transactional
        if parsedCategory == nil { errors["category"] = ["One of transactional, promotional."] }
        let entries = recipients ?? []
        var list: SMSRecipients?
        do {
            list = try SMSRecipients(entries.map(\.to))
        } catch let error as DomainError {
            errors.merge(error.fields) { $0 + $1 }
        }
        var variables: [String: [String: String]] = [:]
        for entry in entries where !entry.variables.isEmpty {
            if let number = PhoneNumber(entry.to), variables[number.e164Digits] == nil { variables[number.e164Digits] = entry.variables }
        }
        if errors["message"] == nil {
            let placeholders = Placeholders.validationErrors(
                in: [("message", template)], order: list?.valid.map(\.e164Digits) ?? [], variables: variables)
            errors.merge(placeholders) { $0 + $1 }
        }
        guard errors.isEmpty, let list, let parsedCategory else { throw DomainError(.validation, "The request is not valid.", fields: errors) }
        return Valid(template: template, recipients: list, reference: reference, category: parsedCategory, variables: variables)
    }
}
