public import Foundation

/// An amount of Kenyan shillings, held as an integer count of cents.
public struct KES: Hashable, Comparable, Sendable {
    /// Cents; negative amounts are allowed (an account balance can be owed).
    public var cents: Int64

    /// Creates an amount from cents.
    public init(cents: Int64) { self.cents = cents }

    /// Creates an amount of whole shillings.
    public init(shillings: Int64) { self.cents = shillings * 100 }

    /// Parses a decimal string such as `"1.8"` or `"1234.50"` with at most two decimal places.
    public init?(_ text: String) {
        guard let cents = FixedPoint.parse(text, scale: 2) else { return nil }
        self.cents = cents
    }

    public static func < (lhs: KES, rhs: KES) -> Bool { lhs.cents < rhs.cents }

    /// The exact decimal value, for JSON.
    public var decimal: Decimal { FixedPoint.decimal(cents, scale: 2) }

    /// The shillings as people read them: `KES 1,234.00`, `KES -50.50`.
    public var display: String {
        let magnitude = cents.magnitude
        let whole = String(magnitude / 100)
        var grouped = ""
        for (index, digit) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        let fraction = magnitude % 100
        let sign = cents < 0 ? "-" : ""
        return "KES \(sign)\(grouped).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension KES: CustomStringConvertible {
    /// The shortest decimal form: `1.8`, `500`, `1234.5`.
    public var description: String { FixedPoint.format(cents, scale: 2) }
}

extension KES: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Decimal.self)
        guard let parsed = KES("\(value)") else {
            // Out of range, or finer than the unit: say which.
            let tooLarge = value.magnitude >= Decimal(Int64.max) / 10_000
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: tooLarge ? "KES amount is too large" : "KES take at most two decimal places")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }
}

extension KES {
    /// The credits that this amount buys at `rate` KES per credit, to four decimal places, rounded half away from zero.
    ///
    /// 500 KES at 1.8 KES per credit is 277.7778 credits (277.777…, rounded up at the fifth decimal).
    /// - Precondition: `rate` is positive.
    public func credits(atRate rate: KES) -> Credits {
        precondition(rate.cents > 0, "an SMS rate must be positive")
        return Credits(units: FixedPoint.divideRounded(cents * Credits.unitsPerCredit, by: rate.cents))
    }
}
