public import Foundation
import Synchronization

/// Instants as a firm reads them: ISO 8601 in the firm's timezone with its offset (`2026-06-10T14:05:00+03:00`).
///
/// Written by hand rather than with `ISO8601DateFormatter`: every message view and webhook payload carries several
/// instants, and creating a formatter (ICU locale data) cost more than the rest of a request.
public enum FirmTime {
    /// `date` in UTC with milliseconds (`2026-06-10T11:05:00.123Z`), for `occurred_at`.
    public static func preciseUTC(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = floorDivide(milliseconds, 1000)
        return civil(seconds) + "." + padded(milliseconds - seconds * 1000, 3) + "Z"
    }

    /// `date` in `timezone` (UTC when the name is unknown), to the second.
    public static func format(_ date: Date, timezone: String) -> String {
        let offset = zone(timezone).secondsFromGMT(for: date)
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return civil(seconds + Int64(offset)) + offsetText(offset)
    }

    private static let zones = Mutex<[String: TimeZone]>([:])

    /// The zone named `identifier`, looked up once; UTC when unknown.
    static func zone(_ identifier: String) -> TimeZone {
        if let known = zones.withLock({ $0[identifier] }) { return known }
        let zone = TimeZone(identifier: identifier) ?? TimeZone(secondsFromGMT: 0)!
        zones.withLock { zones in
            // Unknown names from clients must not grow the cache without bound.
            if zones.count < 1_000 { zones[identifier] = zone }
        }
        return zone
    }

    /// `YYYY-MM-DDTHH:MM:SS` of `seconds` after the epoch (proleptic Gregorian; H. Hinnant's civil-from-days).
    static func civil(_ seconds: Int64) -> String {
        let days = floorDivide(seconds, 86_400)
        let second = seconds - days * 86_400
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T" + padded(second / 3_600, 2) + ":"
            + padded(second % 3_600 / 60, 2) + ":" + padded(second % 60, 2)
    }

    /// `Z`, or `+03:00`.
    static func offsetText(_ offset: Int) -> String {
        guard offset != 0 else { return "Z" }
        let minutes = abs(offset) / 60
        return (offset < 0 ? "-" : "+") + padded(Int64(minutes / 60), 2) + ":" + padded(Int64(minutes % 60), 2)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
