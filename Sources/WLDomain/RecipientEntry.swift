/// One entry of a request's `recipients`: a plain number or address (the contract's form), or an object
/// `{"to": "…", "variables": {"invoice": "INV-42"}}` carrying that recipient's own placeholder values, which come
/// before its contact's.
public struct RecipientEntry: Hashable, Sendable, Decodable, ExpressibleByStringLiteral {
    /// At most this many variables per recipient.
    public static let maximumVariables = 20
    /// The longest variable name and value, in characters.
    public static let maximumNameLength = 40
    public static let maximumValueLength = 500

    public var to: String
    public var variables: [String: String]

    public init(to: String, variables: [String: String] = [:]) {
        self.to = to
        self.variables = variables
    }

    public init(stringLiteral value: String) {
        self.init(to: value)
    }

    private enum Key: String, CodingKey, CaseIterable {
        case to, variables
    }

    /// A string, or an object with `to` and optional `variables` (string values; names of letters, digits and
    /// underscores). Anything else is refused with `.validation` on `recipients`.
    public init(from decoder: any Decoder) throws {
        if let plain = try? decoder.singleValueContainer().decode(String.self) {
            self.init(to: plain)
            return
        }
        guard let object = try? decoder.container(keyedBy: AnyKey.self) else {
            throw Self.invalid("Each recipient is a string or an object with \"to\" and \"variables\".")
        }
        if let unknown = object.allKeys.first(where: { Key(rawValue: $0.stringValue) == nil }) {
            throw Self.invalid("Unknown field \"\(unknown.stringValue)\" in a recipient; the fields are to, variables.")
        }
        guard let to = try? object.decode(String.self, forKey: AnyKey("to")) else {
            throw Self.invalid("A recipient object needs \"to\": the number or address.")
        }
        var variables: [String: String] = [:]
        if object.contains(AnyKey("variables")) {
            guard let given = try? object.decode([String: String].self, forKey: AnyKey("variables")) else {
                throw Self.invalid("\"variables\" of \(to) must be an object of strings.")
            }
            variables = given
        }
        guard variables.count <= Self.maximumVariables else {
            throw Self.invalid("At most \(Self.maximumVariables) variables per recipient; \(to) has \(variables.count).")
        }
        for (name, value) in variables {
            guard Placeholders.isName(name), name.count <= Self.maximumNameLength else {
                throw Self.invalid(
                    "Variable names are 1 to \(Self.maximumNameLength) letters, digits or underscores; \"\(name.prefix(60))\" of \(to) is not.")
            }
            guard value.count <= Self.maximumValueLength else {
                throw Self.invalid("Variable values are at most \(Self.maximumValueLength) characters; {\(name)} of \(to) has \(value.count).")
            }
        }
        self.init(to: to, variables: variables)
    }

    private static func invalid(_ message: String) -> DomainError {
        DomainError(.validation, "The request is not valid.", fields: ["recipients": [message]])
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension Placeholders {
    /// Whether `name` may be a placeholder: letters, digits and underscores, at least one.
    public static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// The placeholders of `template` that are neither known nor given: for each recipient key (in `order`) that
    /// lacks any, the missing names. Empty when every recipient can be filled.
    public static func missing(in template: String, order: [String], variables: [String: [String: String]]) -> [(String, [String])] {
        let unknown = unknown(in: template)
        guard !unknown.isEmpty else { return [] }
        return order.compactMap { key in
            let given = variables[key] ?? [:]
            let lacking = unknown.filter { given[$0] == nil }
            return lacking.isEmpty ? nil : (key, lacking)
        }
    }

    /// The 422 field messages for recipients that lack placeholder values (the first 20 named, then a count).
    public static func missingMessages(_ missing: [(String, [String])]) -> [String] {
        var lines = missing.prefix(20).map { "\($0.0) has no value for \($0.1.map { "{\($0)}" }.joined(separator: ", "))." }
        if missing.count > 20 { lines.append("…and \(missing.count - 20) more recipients.") }
        return lines
    }
}
