public import Foundation

/// Instants as a firm reads them: ISO 8601 in the firm's timezone with its offset (`2026-06-10T14:05:00+03:00`).
public enum FirmTime {
    /// `date` in UTC with milliseconds (`2026-06-10T11:05:00.123Z`), for `occurred_at`.
    public static func preciseUTC(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 0)!
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// `date` in `timezone` (UTC when the name is unknown).
    public static func format(_ date: Date, timezone: String) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: timezone) ?? TimeZone(secondsFromGMT: 0)!
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
