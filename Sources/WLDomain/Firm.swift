public import Foundation

/// Whether a firm's traffic is real (live) or simulated (sandbox).
public enum FirmMode: String, Codable, Sendable, CaseIterable {
    case live
    case sandbox
}

/// Whether a firm may use the API.
public enum FirmStatus: String, Codable, Sendable, CaseIterable {
    case active
    case suspended
}

/// A business that calls the API: the unit of tenancy. Every other record belongs to exactly one firm.
public struct Firm: Hashable, Codable, Sendable {
    /// The default timezone of new firms.
    public static let defaultTimezone = "Africa/Nairobi"

    public var id: Int64
    /// A short unique handle (`sandbox`), usable wherever the CLI takes `--firm`.
    public var slug: String
    public var name: String
    public var status: FirmStatus
    /// After this instant the API answers 403; `nil` means no expiry.
    public var subscriptionExpiresAt: Date?
    /// The current SMS credit balance; always equals the sum of the firm's ledger.
    public var smsCredits: Credits
    /// KES per SMS credit, set by platform admins.
    public var smsRate: KES
    /// IANA timezone name used for `send_at` and webhook timestamps.
    public var timezone: String
    public var mode: FirmMode
    public var createdAt: Date
    /// The firm's own rate limits for sends (POST) and reads (GET); `nil`: the service's defaults.
    public var sendLimit: RateLimitPolicy?
    public var readLimit: RateLimitPolicy?
    /// The firm's registered sender IDs; a category without one sends with the platform's default.
    public var senderIDs = SenderIDs()
    /// The firm's own promotional sending window (East Africa Time), narrower than the platform's; `nil`: the
    /// platform's.
    public var promotionalWindow: SendingWindow?
    /// Promotional SMS go only to numbers whose contact recorded consent (skipped `no_consent` otherwise).
    public var promotionalConsentRequired = false
    /// The balance at or below which `communication.credits.low` fires (see ``LowBalanceRule``); `nil`: no alert.
    public var lowBalanceThreshold: Credits?

    public init(
        id: Int64, slug: String, name: String, status: FirmStatus, subscriptionExpiresAt: Date?, smsCredits: Credits,
        smsRate: KES, timezone: String, mode: FirmMode, createdAt: Date, sendLimit: RateLimitPolicy? = nil, readLimit: RateLimitPolicy? = nil
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.status = status
        self.subscriptionExpiresAt = subscriptionExpiresAt
        self.smsCredits = smsCredits
        self.smsRate = smsRate
        self.timezone = timezone
        self.mode = mode
        self.createdAt = createdAt
        self.sendLimit = sendLimit
        self.readLimit = readLimit
    }

    /// Why the firm may not use the API at `now`, or `nil` when it may.
    public func accessDenial(at now: Date) -> DomainError? {
        if status == .suspended {
            return DomainError(.accountSuspended, "This account is suspended.")
        }
        if let expiry = subscriptionExpiresAt, expiry <= now {
            return DomainError(.subscriptionExpired, "This account's subscription has expired.")
        }
        return nil
    }
}

/// What is needed to create a firm.
public struct NewFirm: Sendable {
    /// The highest SMS rate a firm may have: KES 10,000 per credit.
    public static let maximumSMSRate = KES(shillings: 10_000)

    /// Whether `text` holds a control character (a name or label is one line of printable text).
    public static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    public var slug: String
    public var name: String
    public var smsRate: KES
    public var timezone: String
    public var mode: FirmMode
    public var subscriptionExpiresAt: Date?

    /// Validates every field.
    /// - Throws: ``DomainError`` with code `.validation` naming each bad field.
    public init(
        slug: String, name: String, smsRate: KES, timezone: String = Firm.defaultTimezone, mode: FirmMode = .live,
        subscriptionExpiresAt: Date? = nil
    ) throws {
        var errors: [String: [String]] = [:]
        if !Self.isValidSlug(slug) {
            errors["slug", default: []].append("Use 2 to 63 lower-case letters, digits and dashes, starting with a letter.")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty || name.unicodeScalars.count > 200 || Self.hasControlCharacters(name) {
            errors["name", default: []].append("Give a name of 1 to 200 characters.")
        }
        if smsRate.cents <= 0 {
            errors["sms_rate", default: []].append("The SMS rate must be more than zero.")
        } else if smsRate > Self.maximumSMSRate {
            errors["sms_rate", default: []].append("The SMS rate is at most KES \(Self.maximumSMSRate) per credit.")
        }
        if TimeZone(identifier: timezone) == nil {
            errors["timezone", default: []].append("Unknown timezone \(timezone).")
        }
        guard errors.isEmpty else { throw DomainError(.validation, "The firm is not valid.", fields: errors) }
        self.slug = slug
        self.name = name.trimmingCharacters(in: .whitespaces)
        self.smsRate = smsRate
        self.timezone = timezone
        self.mode = mode
        self.subscriptionExpiresAt = subscriptionExpiresAt
    }

    /// `^[a-z][a-z0-9-]{1,62}$`.
    public static func isValidSlug(_ slug: String) -> Bool {
        guard (2...63).contains(slug.count), let first = slug.first, first.isASCII, first.isLowercase else { return false }
        return slug.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }
}
