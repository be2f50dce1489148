/// A Kenyan mobile number, normalised to `254XXXXXXXXX` (12 digits, no `+`).
///
/// Accepted input forms, with spaces and dashes tolerated anywhere: `+2547…`, `2547…`, `07…`, `7…` for the 07
/// range, and the same for the 01 range (Airtel 0100–0102, Safaricom 0110–0115).
public struct PhoneNumber: Hashable, Sendable, Codable {
    /// The normalised digits, e.g. `254712345678`.
    public let e164Digits: String

    /// Normalises `raw`, or returns `nil` when it is not a Kenyan mobile number.
    public init?(_ raw: String) {
        // Bytes, not Characters: a blast checks 10,000 numbers, and any byte outside ASCII refuses the number anyway.
        var digits: [UInt8] = []
        digits.reserveCapacity(13)
        var international = false
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "-"): continue
            case UInt8(ascii: "+") where digits.isEmpty && !international: international = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits.count < 13 else { return nil }
                digits.append(byte)
            default: return nil
            }
        }
        let hasCountryCode = digits.starts(with: Self.countryCode)
        if international && !hasCountryCode { return nil }
        let subscriber: ArraySlice<UInt8>
        switch digits.count {
        case 12 where hasCountryCode: subscriber = digits.dropFirst(3)
        case 10 where digits.first == UInt8(ascii: "0"): subscriber = digits.dropFirst()
        case 9: subscriber = digits[...]
        default: return nil
        }
        guard Self.isMobile(subscriber) else { return nil }
        self.e164Digits = "254" + String(decoding: subscriber, as: UTF8.self)
    }

    private static let countryCode: [UInt8] = Array("254".utf8)

    /// The international form with a plus, as Africa's Talking wants it: `+254712345678`.
    public var plusForm: String { "+" + e164Digits }

    /// Nine subscriber digits in the 7 range, or in 100–102 and 110–115.
    static func isMobile(_ subscriber: ArraySlice<UInt8>) -> Bool {
        guard subscriber.count == 9, let first = subscriber.first else { return false }
        if first == UInt8(ascii: "7") { return true }
        let second = subscriber[subscriber.startIndex + 1]
        let third = subscriber[subscriber.startIndex + 2]
        guard first == UInt8(ascii: "1") else { return false }
        switch second {
        case UInt8(ascii: "0"): return (UInt8(ascii: "0")...UInt8(ascii: "2")).contains(third)
        case UInt8(ascii: "1"): return (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(third)
        default: return false
        }
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
