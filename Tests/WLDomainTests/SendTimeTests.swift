import Foundation
import Testing
import WLDomain

@Suite struct SendTimeTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z

    @Test func localTimeIsTheFirmsTimezone() throws {
        let date = try SendTime.parse("2026-06-10 14:00:00", timezone: "Africa/Nairobi", now: now)
        #expect(date == ISO8601DateFormatter().date(from: "2026-06-10T11:00:00Z"))
    }

    @Test func isoLocalTimeWithoutAnOffsetIsTheFirmsTimezoneToo() throws {
        let date = try SendTime.parse("2026-06-10T14:00:00", timezone: "Africa/Nairobi", now: now)
        #expect(date == ISO8601DateFormatter().date(from: "2026-06-10T11:00:00Z"))
    }

    @Test func iso8601WithAnOffsetIsAccepted() throws {
        let date = try SendTime.parse("2026-06-10T14:00:00+03:00", timezone: "UTC", now: now)
        #expect(date == ISO8601DateFormatter().date(from: "2026-06-10T11:00:00Z"))
    }

    @Test(arguments: [nil, "", "2020-01-01 00:00:00"])
    func missingOrPastMeansNow(text: String?) throws {
        #expect(try SendTime.parse(text, timezone: "Africa/Nairobi", now: now) == now)
    }

    @Test(arguments: [
        "tomorrow", "2026-02-30 10:00:00", "2026-06-10 25:00:00", "2026-06-10", "2026-12-31 00:00:00", "2026-06-10X14:00:00", "2026-06-10T14:00",
        "2026-06-10T14:00:-5", "2026-06T10 14:00:00",
    ])
    func unreadableOrTooDistantTimesAreRefused(text: String) {
        let error = #expect(throws: DomainError.self) { try SendTime.parse(text, timezone: "Africa/Nairobi", now: now) }
        #expect(error?.code == .validation)
        #expect(error?.fields["send_at"] != nil)
    }

    @Test(arguments: [
        ("2026-06-10T11:00:00Z", 1_781_089_200.0), ("2026-06-10T14:00:00+03:00", 1_781_089_200.0), ("2026-06-10T14:00:00+0300", 1_781_089_200.0),
        ("2026-06-10T11:00:00.250Z", 1_781_089_200.25), ("2026-06-10T14:00:00.5+03:00", 1_781_089_200.5),
    ])
    func iso8601InstantsWithAZoneAreRead(text: String, seconds: Double) throws {
        let date = try #require(SendTime.iso8601(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_5)
    }

    @Test(arguments: ["2026-06-10T11:00:00", "2026-06-10 11:00:00", "2026-06-10", "2026-06-10T11:00:00.Z", "11:00:00Z", "garbage", ""])
    func iso8601WithoutAZoneOrDateIsNotRead(text: String) {
        #expect(SendTime.iso8601(text) == nil)
    }
}
