/// A Kenyan mobile number, normalised to `254XXXXXXXXX` (12 digits, no `+`).
///
/// Accepted input forms, with spaces and dashes tolerated anywhere: `+2547…`, `2547…`, `07…`, `7…` for the 07
/// range, and the same for the 01 range (Airtel 0100–0102, Safaricom 0110–0115).
public struct PhoneNumber: Hashable, Sendable, Codable {
    /// The normalised digits, e.g. `254712345678`.
    public let e164Digits: String

    /// Normalises `raw`, or returns `nil` when it is not a Kenyan mobile number.
    public init?(_ raw: String) {
        var text = raw.filter { $0 != " " && $0 != "-" }
        if text.hasPrefix("+") {
            text.removeFirst()
            guard text.hasPrefix("254") else { return nil }
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else { return nil }
        let subscriber: Substring
        switch text.count {
        case 12 where text.hasPrefix("254"): subscriber = text.dropFirst(3)
        case 10 where text.hasPrefix("0"): subscriber = text.dropFirst()
        case 9: subscriber = Substring(text)
        default: return nil
        }
        guard Self.isMobile(subscriber) else { return nil }
        self.e164Digits = "254" + subscriber
    }

    /// The international form with a plus, as Africa's Talking wants it: `+254712345678`.
    public var plusForm: String { "+" + e164Digits }

    /// Nine subscriber digits in the 7 range, or in 100–102 and 110–115.
    static func isMobile(_ subscriber: Substring) -> Bool {
        guard subscriber.count == 9 else { return false }
        if subscriber.hasPrefix("7") { return true }
        let head = subscriber.prefix(3)
        return ["100", "101", "102", "110", "111", "112", "113", "114", "115"].contains(head)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let number = PhoneNumber(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not a Kenyan mobile number: \(text)")
        }
        self = number
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(e164Digits)
    }
}

extension PhoneNumber: CustomStringConvertible {
    public var description: String { e164Digits }
}
