import Foundation
import PropertyBased
import Testing
@testable import WLDomain

@Suite struct FirmTimeTests {
    @Test func examples() {
        let date = Date(timeIntervalSince1970: 1_781_089_500.123)
        #expect(FirmTime.format(date, timezone: "Africa/Nairobi") == "2026-06-10T14:05:00+03:00")
        #expect(FirmTime.format(date, timezone: "UTC") == "2026-06-10T11:05:00Z")
        #expect(FirmTime.format(date, timezone: "Not/AZone") == "2026-06-10T11:05:00Z")
        #expect(FirmTime.format(date, timezone: "America/St_Johns") == "2026-06-10T08:35:00-02:30")
        #expect(FirmTime.preciseUTC(date) == "2026-06-10T11:05:00.123Z")
        #expect(FirmTime.preciseUTC(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    /// The hand-written form agrees with Foundation's formatter, to the second, in zones with and without offsets
    /// and daylight saving time, from 1970 to 2200 (before that some zones had offsets in seconds).
    @Test func agreesWithISO8601DateFormatter() async {
        let zones = ["Africa/Nairobi", "UTC", "Africa/Abidjan", "Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]
        await propertyCheck(input: Gen.int64(in: 0...7_258_118_400), Gen.element(of: zones).map { $0! }) { seconds, zone in
            let date = Date(timeIntervalSince1970: Double(seconds))
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: zone)
            formatter.formatOptions = [.withInternetDateTime]
            #expect(FirmTime.format(date, timezone: zone) == formatter.string(from: date))
        }
    }

    /// Stored instants are epoch milliseconds: each prints exactly its own milliseconds.
    @Test func preciseUTCPrintsTheStoredMilliseconds() async {
        await propertyCheck(input: Gen.int64(in: 0...4_102_444_800_000)) { milliseconds in
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            let text = FirmTime.preciseUTC(date)
            let whole = Date(timeIntervalSince1970: Double(milliseconds / 1000))
            #expect(text == formatter.string(from: whole).dropLast() + "." + String(format: "%03d", milliseconds % 1000) + "Z")
        }
    }
}

@Suite struct EmailDateTests {
    /// The `Date:` header agrees with the RFC 5322 pattern of Foundation's formatter.
    @Test func agreesWithDateFormatter() async {
        await propertyCheck(input: Gen.int64(in: -2_208_988_800...7_258_118_400)) { seconds in
            let date = Date(timeIntervalSince1970: Double(seconds))
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(secondsFromGMT: 0)
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
            #expect(OutgoingEmail.rfc5322Date(date) == formatter.string(from: date))
        }
    }
}
