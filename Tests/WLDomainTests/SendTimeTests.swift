import Foundation
import Testing
import WLDomain

@Suite struct SendTimeTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z

    @Test func localTimeIsTheFirmsTimezone() throws {
        let date = try SendTime.parse("2026-06-10 14:00:00", timezone: "Africa/Nairobi", now: now)
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

    @Test(arguments: ["tomorrow", "2026-02-30 10:00:00", "2026-06-10 25:00:00", "2026-06-10", "2026-12-31 00:00:00"])
    func unreadableOrTooDistantTimesAreRefused(text: String) {
        #expect(throws: DomainError.self) { try SendTime.parse(text, timezone: "Africa/Nairobi", now: now) }
    }
}
