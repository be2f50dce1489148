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

    public init(
        kind: ContactKind, firstName: String, lastName: String, phone: PhoneNumber?, email: String?, accountBalance: KES?
    ) {
        self.kind = kind
        self.firstName = firstName
        self.lastName = lastName
        self.phone = phone
        self.email = email?.lowercased()
        self.accountBalance = accountBalance
    }
}
