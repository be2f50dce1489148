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

    /// A string, a whole number (`254712345678`, `712345678`: what a client that keeps numbers in an integer column
    /// sends; JSON has no leading zero, so `07…` can only come as a string), or an object with `to` and optional
    /// `variables` (string values; names of letters, digits and underscores). Anything else is refused with
    /// `.validation` on `recipients`.
    public init(from decoder: any Decoder) throws {
        if let plain = try? decoder.singleValueContainer().decode(String.self) {
            self.init(to: plain)
            return
        }
        if let number = try? decoder.singleValueContainer().decode(UInt64.self) {
            self.init(to: String(number))
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
            guard value.unicodeScalars.count <= Self.maximumValueLength else {
                throw Self.invalid(
                    "Variable values are at most \(Self.maximumValueLength) characters; {\(name)} of \(to) has \(value.unicodeScalars.count).")
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

    /// The 422 field messages for the placeholders of `fields` (each a field name and its text): more than
    /// ``maximumNames`` different ones, or unknown ones that `variables` (by recipient key) do not fill for every
    /// recipient in `order`. Recipients lacking values are named on `recipients`. Empty when all is well.
    /// - Parameter order: The recipient keys; evaluated only when some recipient gave variables.
    public static func validationErrors(
        in fields: [(String, String)], order: @autoclosure () -> [String], variables: [String: [String: String]]
    ) -> [String: [String]] {
        let keys = variables.isEmpty ? [] : order()
        var errors: [String: [String]] = [:]
        var lacking: [String] = []
        // Most texts hold no placeholder at all: a byte search spares them two scans by Character.
        for (field, text) in fields where text.utf8.contains(UInt8(ascii: "{")) {
            if let tooMany = tooManyMessage(in: text) {
                errors[field] = [tooMany]
            } else if let unknown = unknownMessage(in: text) {
                if variables.isEmpty {
                    errors[field] = [unknown]
                } else if !missing(in: [text], order: keys, variables: variables).isEmpty {
                    errors[field] = [unknown + " Or give each recipient a value in its \"variables\"."]
                    lacking.append(text)
                }
            }
        }
        // A placeholder in both subject and message names each recipient once.
        if !lacking.isEmpty { errors["recipients"] = missing(in: lacking, order: keys, variables: variables).messages }
        return errors
    }

    /// The recipients (keys, in `order`) that lack a value in `variables` for an unknown placeholder of `templates`.
    public static func missing(in templates: [String], order: [String], variables: [String: [String: String]]) -> Missing {
        var seen: Set<String> = []
        let wanted = templates.flatMap { unknown(in: $0) }.filter { seen.insert($0).inserted }
        var result = Missing()
        guard !wanted.isEmpty else { return result }
        for key in order {
            let given = variables[key] ?? [:]
            // Stops at the first name lacking: a recipient without variables costs one look-up, not a list.
            guard wanted.contains(where: { given[$0] == nil }) else { continue }
            result.count += 1
            if result.listed.count < Missing.listedLimit { result.listed.append((key, wanted.filter { given[$0] == nil })) }
        }
        return result
    }

    /// Recipients that lack placeholder values: the first ``listedLimit`` named with the names each lacks, the rest
    /// only counted, as a 422 names no more.
    public struct Missing: Sendable {
        /// At most this many recipients are named.
        public static let listedLimit = 20

        /// The first recipients (keys) lacking values, each with the names it lacks in order of first appearance.
        public var listed: [(recipient: String, names: [String])] = []
        /// How many recipients lack any value.
        public var count = 0

        /// Whether every recipient has its values.
        public var isEmpty: Bool { count == 0 }

        /// The 422 field messages: one per named recipient, then how many more lack values.
        public var messages: [String] {
            var lines = listed.map { "\($0.recipient) has no value for \($0.names.map { "{\($0)}" }.joined(separator: ", "))." }
            if count > listed.count { lines.append("…and \(count - listed.count) more recipients.") }
            return lines
        }
    }
}
