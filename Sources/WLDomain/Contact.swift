/// Where a contact came from: the firm's clients are matched before its address book.
public enum ContactKind: String, Codable, Sendable, CaseIterable {
    case client
    case addressBook = "address_book"
}

/// A person a firm may message; the source of placeholder values.
public struct Contact: Hashable, Codable, Sendable {
    public var kind: ContactKind
    public var firstName: String
    public var lastName: String
    public var phone: PhoneNumber?
    /// Lower-cased email address.
    public var email: String?
    public var accountBalance: KES?
    /// Whether the person agreed to promotional messages (`nil`: not recorded), and where that was given (Data
    /// Protection Act 2019, s. 30 and the 2021 regulations on direct marketing: see docs/privacy.md).
    public var promotionalConsent: Bool?
    public var consentSource: String?

    public init(
        kind: ContactKind, firstName: String, lastName: String, phone: PhoneNumber?, email: String?, accountBalance: KES?,
        promotionalConsent: Bool? = nil, consentSource: String? = nil
    ) {
        self.promotionalConsent = promotionalConsent
        self.consentSource = consentSource
        self.kind = kind
        self.firstName = firstName
        self.lastName = lastName
        self.phone = phone
        self.email = email?.lowercased()
        self.accountBalance = accountBalance
    }
}
