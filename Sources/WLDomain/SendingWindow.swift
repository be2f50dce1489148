public import Foundation

/// The hours of the day promotional SMS may go out, in one timezone: from `start` up to (not including) `end`,
/// minutes after local midnight. A window whose end comes before its start runs across midnight (`22:00-06:00`).
/// Outside it are the quiet hours: a promotional message due then waits for the next opening.
public struct SendingWindow: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The platform's default: 07:00 to 19:00 (see docs/kenya.md for the rule and its source).
    public static let standard = SendingWindow(uncheckedStart: 7 * 60, end: 19 * 60)

    /// Minutes after midnight, 0..<1440.
    public let start: Int
    public let end: Int

    /// - Throws: `.validation` on `field` unless both are minutes of a day and differ.
    public init(start: Int, end: Int, field: String = "window") throws {
        guard (0..<1_440).contains(start), (0..<1_440).contains(end), start != end else {
            throw DomainError(.validation, "The sending window is not valid.", fields: [field: ["Give two different times of day, HH:MM-HH:MM."]])
        }
        self.init(uncheckedStart: start, end: end)
    }

    private init(uncheckedStart start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Reads `HH:MM-HH:MM` (24-hour clock).
    /// - Throws: `.validation` on `field`.
    public init(parsing text: String, field: String = "window") throws {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]) else {
            throw DomainError(.validation, "The sending window is not valid.", fields: [field: ["Use HH:MM-HH:MM, e.g. 07:00-19:00."]])
        }
        try self.init(start: start, end: end, field: field)
    }

    /// `HH:MM` as minutes after midnight.
    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    /// `07:00-19:00`.
    public var description: String { Self.clock(start) + "-" + Self.clock(end) }

    private static func clock(_ minutes: Int) -> String {
        let hour = minutes / 60
        let minute = minutes % 60
        return (hour < 10 ? "0" : "") + String(hour) + ":" + (minute < 10 ? "0" : "") + String(minute)
    }

    /// Whether the local minute of the day `minute` is inside.
    public func contains(minute: Int) -> Bool {
        start < end ? (start <= minute && minute < end) : (minute >= start || minute < end)
    }

    /// Whether `date` falls inside, read in `timezone`.
    public func contains(_ date: Date, timezone: TimeZone) -> Bool {
        contains(minute: Self.secondOfDay(date, timezone) / 60)
    }

    /// `date` itself when it is inside, else the next opening (the start of the window) after it, in `timezone`.
    public func nextOpening(from date: Date, timezone: TimeZone) -> Date {
        guard !contains(date, timezone: timezone) else { return date }
        let second = Self.secondOfDay(date, timezone)
        var wait = start * 60 - second
        if wait <= 0 { wait += 86_400 }
        let opening = date.addingTimeInterval(TimeInterval(wait))
        // A change of offset between the two (summer time) moves local midnight; correct once for it.
        let shift = timezone.secondsFromGMT(for: opening) - timezone.secondsFromGMT(for: date)
        return opening.addingTimeInterval(TimeInterval(-shift))
    }

    /// Whether every minute inside this window is inside `outer` too (a firm's window may only narrow the platform's).
    public func isWithin(_ outer: SendingWindow) -> Bool {
        (0..<1_440).allSatisfy { !contains(minute: $0) || outer.contains(minute: $0) }
    }

    /// Seconds after local midnight of `date` in `timezone`, whole seconds.
    private static func secondOfDay(_ date: Date, _ timezone: TimeZone) -> Int {
        let local = Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(timezone.secondsFromGMT(for: date))
        return Int(((local % 86_400) + 86_400) % 86_400)
    }
}

/// The platform's rules for promotional SMS: the sending window and its timezone, and the opt-out footer.
public struct PromotionalPolicy: Hashable, Sendable {
    /// The footer appended to every promotional SMS by default: Safaricom's opt-out short code.
    public static let standardFooter = " STOP *456*9*5#"

    public var window: SendingWindow
    /// The zone the window is read in (the recipients'): East Africa Time by default.
    public var timezone: TimeZone
    public var footer: String

    public init(window: SendingWindow = .standard, timezone: TimeZone = TimeZone(identifier: "Africa/Nairobi")!, footer: String = Self.standardFooter)
    {
        self.window = window
        self.timezone = timezone
        self.footer = footer
    }

    /// The window that applies to a firm: its own when it narrows the platform's, else the platform's (a firm window
    /// left wider by a later change of the platform's is ignored).
    public func window(for firmWindow: SendingWindow?) -> SendingWindow {
        guard let firmWindow, firmWindow.isWithin(window) else { return window }
        return firmWindow
    }

    /// When a message of `category` due at `date` may go out: at once for transactional messages; for promotional
    /// ones the next opening of the window that applies to the firm.
    public func releaseTime(for category: SMSCategory, due date: Date, firmWindow: SendingWindow?) -> Date {
        switch category {
        case .transactional: date
        case .promotional: window(for: firmWindow).nextOpening(from: date, timezone: timezone)
        }
    }

    /// The text sent for a rendered `body` of `category`: promotional ones carry the footer. It is composed (NFC), so
    /// a letter and its accent typed as two code points go as the one GSM-7 letter they make, and the text measured,
    /// charged and sent is the same.
    public func text(_ body: String, category: SMSCategory) -> String {
        let text = category == .promotional ? body + footer : body
        // ASCII is composed already: most texts skip Foundation's normalisation (a bridge and a copy).
        return text.utf8.allSatisfy { $0 < 0x80 } ? text : text.precomposedStringWithCanonicalMapping
    }
}
