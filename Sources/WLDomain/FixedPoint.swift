import Foundation

/// Integer fixed-point helpers shared by ``Credits`` and ``KES``: parse, format and convert to `Decimal`
/// without any floating-point step.
enum FixedPoint {
    /// Parses `"-12.34"` into `-1234` at scale 2. Refuses more decimals than `scale`, exponents and stray characters.
    static func parse(_ text: String, scale: Int) -> Int64? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholePart = parts.first, !wholePart.isEmpty, wholePart.allSatisfy(\.isASCIIDigit) else { return nil }
        let fraction = parts.count > 1 ? parts[1] : ""
        guard fraction.count <= scale, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty else {
            return nil
        }
        let padded = fraction + String(repeating: "0", count: scale - fraction.count)
        guard let whole = Int64(wholePart), let frac = Int64(padded.isEmpty ? "0" : padded) else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: power(scale))
        guard !overflow else { return nil }
        let (sum, overflow2) = scaled.addingReportingOverflow(frac)
        guard !overflow2 else { return nil }
        return negative ? -sum : sum
    }

    /// Formats `2777778` at scale 4 as `"277.7778"` and `1255000` as `"125.5"`: trailing zeros dropped.
    static func format(_ value: Int64, scale: Int) -> String {
        let magnitude = value.magnitude
        let base = UInt64(power(scale))
        let whole = magnitude / base
        var fraction = String(magnitude % base)
        fraction = String(repeating: "0", count: scale - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let sign = value < 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// The exact `Decimal` for a scaled integer.
    static func decimal(_ value: Int64, scale: Int) -> Decimal {
        Decimal(sign: value < 0 ? .minus : .plus, exponent: -scale, significand: Decimal(value.magnitude))
    }

    /// 10 to the power `exponent`.
    static func power(_ exponent: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// `numerator / denominator` rounded half away from zero, in integers.
    static func divideRounded(_ numerator: Int64, by denominator: Int64) -> Int64 {
        precondition(denominator != 0, "division by zero")
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        guard remainder.magnitude * 2 >= denominator.magnitude else { return quotient }
        return (numerator < 0) != (denominator < 0) ? quotient - 1 : quotient + 1
    }
}

extension Character {
    /// `0`–`9` only (not other Unicode digits).
    var isASCIIDigit: Bool { isASCII && isNumber }
}
