public import Foundation

/// An amount of SMS credits, held as an integer count of ten-thousandths of a credit.
///
/// `Credits(units: 2_777_778)` is 277.7778 credits. Arithmetic never touches floating point;
/// JSON shows the amount as a plain decimal number (`277.7778`, `125.5`).
public struct Credits: Hashable, Comparable, Sendable {
    /// Units per whole credit.
    public static let unitsPerCredit: Int64 = 10_000
    /// No credits.
    public static let zero = Credits(units: 0)

    /// Ten-thousandths of a credit; negative for debits.
    public var units: Int64

    /// Creates an amount from ten-thousandths of a credit.
    public init(units: Int64) { self.units = units }

    /// Creates an amount of whole credits.
    public init(whole: Int64) { self.units = whole * Self.unitsPerCredit }

    /// Parses a decimal string such as `"125.5"` or `"-3"` with at most four decimal places.
    public init?(_ text: String) {
        guard let units = FixedPoint.parse(text, scale: 4) else { return nil }
        self.units = units
    }

    public static func < (lhs: Credits, rhs: Credits) -> Bool { lhs.units < rhs.units }
    public static func + (lhs: Credits, rhs: Credits) -> Credits { Credits(units: lhs.units + rhs.units) }
    public static func - (lhs: Credits, rhs: Credits) -> Credits { Credits(units: lhs.units - rhs.units) }
    public static prefix func - (value: Credits) -> Credits { Credits(units: -value.units) }

    /// The exact decimal value, for JSON.
    public var decimal: Decimal { FixedPoint.decimal(units, scale: 4) }
}

extension Credits: CustomStringConvertible {
    /// The shortest decimal form: `277.7778`, `125.5`, `3`.
    public var description: String { FixedPoint.format(units, scale: 4) }
}

extension Credits: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Decimal.self)
        guard let parsed = Credits("\(value)") else {
            // Out of range, or finer than the unit: say which.
            let tooLarge = value.magnitude >= Decimal(Int64.max) / 10_000
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: tooLarge ? "Credits amount is too large" : "Credits take at most four decimal places")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }
}
