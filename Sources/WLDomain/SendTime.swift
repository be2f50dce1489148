public import Foundation

/// Parses `send_at`: `YYYY-MM-DD HH:MM:SS` (or with `T` for the space) in the firm's timezone, or ISO 8601 with an
/// offset or `Z`.
///
/// A time in the past means now. The furthest allowed is ``maximumAhead`` (90 days) from now.
public enum SendTime {
    /// How far ahead a message may be scheduled.
    public static let maximumAhead: TimeInterval = 90 * 86_400

    /// The instant to send at.
    /// - Parameters:
    ///   - text: The client's value; `nil` or empty means now.
    ///   - timezone: The firm's IANA timezone, for the local form.
    /// - Throws: `.validation` on the field `send_at` for an unreadable or too-distant time.
    public static func parse(_ text: String?, timezone: String, now: Date) throws -> Date {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return now }
        guard let date = local(text, timezone: timezone) ?? iso8601(text) else {
            throw DomainError(
                .validation, "send_at is not a time we can read.",
                fields: ["send_at": ["Use YYYY-MM-DD HH:MM:SS (your firm's timezone; a T for the space works too) or ISO 8601 with an offset."]])
        }
        if date.timeIntervalSince(now) > maximumAhead {
            throw DomainError(.validation, "send_at is too far ahead.", fields: ["send_at": ["Schedule at most 90 days ahead."]])
        }
        return max(date, now)
    }

    /// `YYYY-MM-DD HH:MM:SS`, or the same with `T` between date and time (ISO 8601 without an offset), in `timezone`.
    private static func local(_ text: String, timezone: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 19, bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
            [4, 7].allSatisfy({ bytes[$0] == UInt8(ascii: "-") }), [13, 16].allSatisfy({ bytes[$0] == UInt8(ascii: ":") }),
            bytes.indices.allSatisfy({ [4, 7, 10, 13, 16].contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[$0]) })
        else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" || $0 == "-" || $0 == ":" }).map { Int($0) }
        guard parts.count == 6, parts.allSatisfy({ $0 != nil }), let zone = TimeZone(identifier: timezone) else {
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(
            year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4], second: parts[5])
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }

    /// An ISO 8601 instant with an offset or `Z`, with or without fractional seconds.
    ///
    /// `Date.ISO8601FormatStyle` parses in Swift; a new `ISO8601DateFormatter` per call went through ICU and cost
    /// about 200 µs (a profile of the benchmark found a third of the process in it).
    public static func iso8601(_ text: String) -> Date? {
        (try? wholeSeconds.parse(text)) ?? (try? fractionalSeconds.parse(text))
    }

    private static let wholeSeconds = Date.ISO8601FormatStyle()
    private static let fractionalSeconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
