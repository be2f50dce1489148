import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct SenderIDTests {
    @Test(arguments: ["ACME", "ACMEInfo", "World Ledgr", "K24 TV", "A"])
    func validSenderIDsAreKept(raw: String) throws {
        #expect(try SenderID(raw).value == raw)
    }

    @Test(arguments: [
        ("", "Use 1 to 11 characters."), ("ABCDEFGHIJKL", "Use 1 to 11 characters."), ("ACME-Info", "Use letters, digits and spaces only."),
        ("Café", "Use letters, digits and spaces only."), ("12345", "Include at least one letter."), (" ACME", "No space at the start or end."),
    ])
    func invalidSenderIDsSayWhy(raw: String, problem: String) {
        #expect {
            try SenderID(raw, field: "promotional")
        } throws: { error in
            guard let error = error as? DomainError else { return false }
            return error.code == .validation && error.fields["promotional"] == [problem]
        }
    }

    @Test func aFirmWithoutASenderIDForACategoryUsesTheDefault() throws {
        let ids = SenderIDs(transactional: try SenderID("ACME"))
        #expect(ids[.transactional]?.value == "ACME")
        #expect(ids[.promotional] == nil)
    }
}

@Suite struct SendingWindowTests {
    static let nairobi = TimeZone(identifier: "Africa/Nairobi")!

    /// The instant of a wall-clock time in Nairobi (UTC+3, no summer time).
    static func eat(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text + "+03:00")!
    }

    @Test func parsesAndPrintsHHMM() throws {
        #expect(try SendingWindow(parsing: "07:00-19:00") == .standard)
        #expect(try SendingWindow(parsing: " 22:30-06:15 ").description == "22:30-06:15")
        for bad in ["7:00-19:00", "07:00", "07:00-07:00", "25:00-06:00", "07:60-19:00", "a-b"] {
            let error = #expect(throws: DomainError.self, "\(bad)") { try SendingWindow(parsing: bad) }
            #expect(error?.code == .validation, "\(bad)")
            #expect(error?.fields["window"] != nil, "\(bad)")
        }
    }

    @Test func aMessageDueInsideGoesAtOnceAndOneDueOutsideWaitsForTheNextOpening() {
        let window = SendingWindow.standard
        #expect(window.nextOpening(from: Self.eat("2026-12-02T10:15:00"), timezone: Self.nairobi) == Self.eat("2026-12-02T10:15:00"))
        // 21:30 EAT waits across midnight for 07:00 the next day.
        #expect(window.nextOpening(from: Self.eat("2026-12-02T21:30:00"), timezone: Self.nairobi) == Self.eat("2026-12-03T07:00:00"))
        // Early morning waits for the same day's opening; the end itself is already closed.
        #expect(window.nextOpening(from: Self.eat("2026-12-03T05:59:30"), timezone: Self.nairobi) == Self.eat("2026-12-03T07:00:00"))
        #expect(window.nextOpening(from: Self.eat("2026-12-02T19:00:00"), timezone: Self.nairobi) == Self.eat("2026-12-03T07:00:00"))
        #expect(window.nextOpening(from: Self.eat("2026-12-02T18:59:59"), timezone: Self.nairobi) == Self.eat("2026-12-02T18:59:59"))
        // New Year's Eve rolls into the next year.
        #expect(window.nextOpening(from: Self.eat("2026-12-31T23:59:00"), timezone: Self.nairobi) == Self.eat("2027-01-01T07:00:00"))
    }

    @Test func aWindowAcrossMidnightIsOpenOnBothSidesOfIt() throws {
        let night = try SendingWindow(parsing: "22:00-06:00")
        #expect(night.contains(Self.eat("2026-12-02T23:30:00"), timezone: Self.nairobi))
        #expect(night.contains(Self.eat("2026-12-03T05:59:00"), timezone: Self.nairobi))
        #expect(!night.contains(Self.eat("2026-12-03T06:00:00"), timezone: Self.nairobi))
        #expect(night.nextOpening(from: Self.eat("2026-12-03T12:00:00"), timezone: Self.nairobi) == Self.eat("2026-12-03T22:00:00"))
    }

    @Test func theWindowIsReadInItsOwnZone() throws {
        // 18:30 in London in December is 21:30 in Nairobi: quiet there.
        let london = Date(timeIntervalSince1970: 1_796_236_200)  // 2026-12-02T18:30:00Z
        #expect(!SendingWindow.standard.contains(london, timezone: Self.nairobi))
        #expect(SendingWindow.standard.contains(london, timezone: TimeZone(identifier: "Europe/London")!))
        // Across a summer-time change (Europe/London, 2027-03-28 01:00 UTC) the opening is still 07:00 local.
        let zone = TimeZone(identifier: "Europe/London")!
        let beforeChange = Date(timeIntervalSince1970: 1_806_184_800)  // 2027-03-27T22:00:00Z, 22:00 GMT
        let opening = SendingWindow.standard.nextOpening(from: beforeChange, timezone: zone)
        #expect(opening == Date(timeIntervalSince1970: 1_806_213_600))  // 2027-03-28T06:00:00Z = 07:00 BST
    }

    @Test func aFirmWindowOnlyNarrowsThePlatforms() throws {
        let policy = PromotionalPolicy()
        let narrow = try SendingWindow(parsing: "09:00-17:00")
        let wide = try SendingWindow(parsing: "06:00-20:00")
        #expect(narrow.isWithin(.standard))
        #expect(!wide.isWithin(.standard))
        #expect(!(try SendingWindow(parsing: "18:00-08:00")).isWithin(.standard))
        #expect(policy.window(for: narrow) == narrow)
        #expect(policy.window(for: wide) == .standard)
        #expect(policy.window(for: nil) == .standard)
    }

    @Test func onlyPromotionalMessagesAreHeldAndCarryTheFooter() {
        let policy = PromotionalPolicy()
        let night = Self.eat("2026-12-02T21:30:00")
        #expect(policy.releaseTime(for: .transactional, due: night, firmWindow: nil) == night)
        #expect(policy.releaseTime(for: .promotional, due: night, firmWindow: nil) == Self.eat("2026-12-03T07:00:00"))
        #expect(policy.text("Sale!", category: .promotional) == "Sale! STOP *456*9*5#")
        #expect(policy.text("Receipt 42", category: .transactional) == "Receipt 42")
    }

    /// Any window and instant: the release is never earlier, lies inside the window, and is less than a day later;
    /// nothing inside the window is moved.
    @Test func theNextOpeningIsInsideNotEarlierAndWithinADay() async {
        await propertyCheck(input: Gen.int(in: 0...1_439), Gen.int(in: 0...1_439), Gen.int(in: 0...(400 * 86_400))) { start, end, offset in
            guard start != end else { return }
            let window = try SendingWindow(start: start, end: end)
            let date = Date(timeIntervalSince1970: 1_780_000_000 + Double(offset))
            let opening = window.nextOpening(from: date, timezone: Self.nairobi)
            #expect(opening >= date)
            #expect(opening.timeIntervalSince(date) < 86_400)
            #expect(window.contains(opening, timezone: Self.nairobi))
            if window.contains(date, timezone: Self.nairobi) { #expect(opening == date) }
        }
    }
}

@Suite struct HoldRuleTests {
    @Test func aHoldMovesTheDueTimeFreesTheLeaseAndCountsNoAttempt() {
        var state = DispatchRulesTests.state()
        var effects = DispatchEffects()
        let later = DispatchRulesTests.now.addingTimeInterval(3_600)
        #expect(DispatchRules.apply(.hold(until: later, response: quietHoursResponse), to: &state, effects: &effects, now: DispatchRulesTests.now))
        #expect(state.message.dueAt == later && state.message.attempts == 0 && state.message.status == .pending)
        #expect(state.message.response == "Held for quiet hours")
        #expect(state.leaseOwner == nil && state.leaseUntil == nil)
        #expect(effects.events.isEmpty && effects.credits.isEmpty)
    }

    @Test func aFinalMessageIsNotHeld() {
        var state = DispatchRulesTests.state()
        state.message.status = .failed
        var effects = DispatchEffects()
        #expect(!DispatchRules.apply(.hold(until: DispatchRulesTests.now, response: "x"), to: &state, effects: &effects, now: DispatchRulesTests.now))
    }
}
