public import Foundation

/// M-Pesa's `YYYYMMDDHHmmss` times, in Nairobi time: the STK Timestamp we send and the TransactionDate it returns.
public enum MpesaTime {
    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Africa/Nairobi")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return formatter
    }

    /// `date` as `YYYYMMDDHHmmss` in Nairobi time.
    public static func format(_ date: Date) -> String { formatter().string(from: date) }

    /// A `YYYYMMDDHHmmss` Nairobi time; `nil` when `text` is not one.
    public static func parse(_ text: String) -> Date? { formatter().date(from: text) }
}
