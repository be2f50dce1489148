/// The values placeholders are filled with for one recipient.
public struct PlaceholderValues: Hashable, Sendable {
    public var firstName: String
    public var lastName: String
    public var accountBalance: KES?

    public init(firstName: String, lastName: String, accountBalance: KES?) {
        self.firstName = firstName
        self.lastName = lastName
        self.accountBalance = accountBalance
    }

    /// The values of a matching contact.
    public init(_ contact: Contact) {
        self.init(firstName: contact.firstName, lastName: contact.lastName, accountBalance: contact.accountBalance)
    }
}

/// Message placeholders: `{first_name}`, `{last_name}`, `{name}`, `{account_balance}`.
///
/// The rule, the same for SMS and email:
/// - With a matching contact, each is replaced by the contact's value (`{name}` is first and last name;
///   `{account_balance}` reads `KES 1,234.00`; a contact without a balance gives `KES 0.00`).
/// - With no matching contact, `{first_name}` and `{name}` become `Customer`, `{last_name}` becomes empty and
///   `{account_balance}` becomes `KES 0.00`, so a greeting still reads naturally and no raw braces are sent.
/// - Any other `{word}` (letters, digits, underscores) is an unknown placeholder: the request is refused (422), so a
///   typo such as `{frist_name}` never reaches a phone. Other braces are ordinary text.
public enum Placeholders {
    /// The placeholders known.
    public static let known = ["first_name", "last_name", "name", "account_balance"]
    /// At most this many different placeholders, known or not, in one message or subject.
    public static let maximumNames = 50
    /// The longest known name, in characters.
    private static let longestKnown = known.map(\.count).max() ?? 0

    /// The different `{word}` placeholders in `template`, known or not, in order of first appearance.
    public static func names(in template: String) -> [String] {
        var seen: Set<String> = []
        return tokens(in: template).filter { seen.insert($0).inserted }
    }

    /// The unknown `{word}` placeholders in `template`, in order of first appearance.
    public static func unknown(in template: String) -> [String] {
        names(in: template).filter { !known.contains($0) }
    }

    /// The validation message when `template` has more than ``maximumNames`` different placeholders; `nil` otherwise.
    public static func tooManyMessage(in template: String) -> String? {
        let count = names(in: template).count
        guard count > maximumNames else { return nil }
        return "At most \(maximumNames) different placeholders; this one has \(count)."
    }

    /// The validation message for the unknown placeholders in `template`; `nil` when there are none.
    public static func unknownMessage(in template: String) -> String? {
        let unknown = unknown(in: template)
        guard !unknown.isEmpty else { return nil }
        return "Unknown placeholder\(unknown.count > 1 ? "s" : "") \(unknown.map { "{\($0)}" }.joined(separator: ", ")); "
            + "use \(known.map { "{\($0)}" }.joined(separator: ", "))."
    }

    /// Whether `template` has any known placeholder (if not, every recipient gets the same text).
    public static func isPersonalised(_ template: String) -> Bool {
        tokens(in: template).contains { known.contains($0) }
    }

    /// Whether `template` has any placeholder at all, known or to be filled from recipients' variables.
    public static func hasPlaceholders(_ template: String) -> Bool {
        !tokens(in: template).isEmpty
    }

    /// `template` with every placeholder replaced for one recipient: from its own `variables` first, then its contact
    /// (`values`; `nil`: no matching contact) for the known ones. A name in neither stays as written (validation
    /// refuses such requests first). Takes time linear in the length of `template` (times the longest name).
    /// - Parameter escape: Applied to each value (HTML escaping for HTML email bodies).
    public static func render(
        _ template: String, with values: PlaceholderValues?, variables: [String: String] = [:], escape: (String) -> String = { $0 }
    ) -> String {
        // Text up to a `}` further away than the longest name can match nothing, so the search for it stops there:
        // searching to the end for every `{` was quadratic.
        let longest = variables.keys.reduce(longestKnown) { max($0, $1.count) }
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            output += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = firstClose(in: rest[afterOpen...], within: longest),
                let value = variables[String(rest[afterOpen..<close])] ?? value(of: String(rest[afterOpen..<close]), values)
            {
                output += escape(value)
                rest = rest[rest.index(after: close)...]
            } else {
                output.append("{")
                rest = rest[afterOpen...]
            }
        }
        return output + rest
    }

    /// The index of the first `}` in `text`, if at most `limit` characters come before it.
    private static func firstClose(in text: Substring, within limit: Int) -> Substring.Index? {
        var index = text.startIndex
        for _ in 0...limit {
            guard index < text.endIndex else { return nil }
            if text[index] == "}" { return index }
            text.formIndex(after: &index)
        }
        return nil
    }

    private static func value(of name: String, _ values: PlaceholderValues?) -> String? {
        switch name {
        case "first_name": values.map(\.firstName) ?? "Customer"
        case "last_name": values.map(\.lastName) ?? ""
        case "name":
            values.map { [$0.firstName, $0.lastName].filter { !$0.isEmpty }.joined(separator: " ") } ?? "Customer"
        case "account_balance": (values?.accountBalance ?? KES(cents: 0)).display
        default: nil
        }
    }

    /// The names inside `{…}` made of letters, digits and underscores.
    static func tokens(in template: String) -> [String] {
        var result: [String] = []
        var current: String?
        for character in template {
            if character == "{" {
                current = ""
            } else if character == "}" {
                if let name = current, !name.isEmpty { result.append(name) }
                current = nil
            } else if current != nil {
                if character.isASCII && (character.isLetter || character.isNumber || character == "_") {
                    current?.append(character)
                } else {
                    current = nil
                }
            }
        }
        return result
    }
}
