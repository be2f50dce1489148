import Foundation
import WLDomain

/// The body of `PUT /contacts`: `{"contacts": [{"phone", "first_name", "last_name", "account_balance", "email",
/// "promotional_consent", "consent_source"}, …]}`, the firm's clients to create or bring up to date.
public struct ContactsRequest: Decodable, Sendable {
    /// At most this many contacts per request.
    public static let maximum = 10_000
    /// The longest consent source.
    public static let maximumConsentSourceLength = 200

    /// One contact as sent; checked by ``validated()``.
    public struct Entry: Decodable, Sendable {
        var phone: String?
        var firstName: String?
        var lastName: String?
        var email: String?
        var accountBalance: String?
        var promotionalConsent: Bool?
        var consentSource: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case phone, email
            case firstName = "first_name"
            case lastName = "last_name"
            case accountBalance = "account_balance"
            case promotionalConsent = "promotional_consent"
            case consentSource = "consent_source"
        }

        public init(from decoder: any Decoder) throws {
            try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
            let container = try decoder.container(keyedBy: CodingKeys.self)
            phone = try container.decodeIfPresent(String.self, forKey: .phone)
            firstName = try container.decodeIfPresent(String.self, forKey: .firstName)
            lastName = try container.decodeIfPresent(String.self, forKey: .lastName)
            email = try container.decodeIfPresent(String.self, forKey: .email)
            // A number (1234.5) or a string ("1234.50"); decoded as text so no binary rounding creeps in.
            if let text = try? container.decodeIfPresent(String.self, forKey: .accountBalance) {
                accountBalance = text
            } else if let number = try container.decodeIfPresent(Decimal.self, forKey: .accountBalance) {
                accountBalance = "\(number)"
            }
            promotionalConsent = try container.decodeIfPresent(Bool.self, forKey: .promotionalConsent)
            consentSource = try container.decodeIfPresent(String.self, forKey: .consentSource)
        }
    }

    public var contacts: [Entry]?

    enum CodingKeys: String, CodingKey, CaseIterable { case contacts }

    public init(from decoder: any Decoder) throws {
        try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        contacts = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([Entry].self, forKey: .contacts)
    }

    /// The contacts as clients, every entry's problems at once (`contacts[3].phone`).
    /// - Throws: `.validation` naming each bad field, for an empty or too long list, or a number given twice.
    func validated() throws -> [Contact] {
        guard let entries = contacts, !entries.isEmpty else {
            throw DomainError(.validation, "Give at least one contact.", fields: ["contacts": ["This field is required."]])
        }
        guard entries.count <= Self.maximum else {
            throw DomainError(
                .validation, "Too many contacts: at most \(Self.maximum) in one request.",
                fields: ["contacts": ["At most \(Self.maximum) contacts; this request has \(entries.count)."]])
        }
        var errors: [String: [String]] = [:]
        var seen: [String: Int] = [:]
        var result: [Contact] = []
        for (index, entry) in entries.enumerated() {
            let at = "contacts[\(index)]"
            let phone = entry.phone.flatMap(PhoneNumber.init)
            if let phone {
                if let first = seen[phone.e164Digits] {
                    errors["\(at).phone"] = ["\(phone.e164Digits) is also contacts[\(first)]; give each number once."]
                } else {
                    seen[phone.e164Digits] = index
                }
            } else {
                errors["\(at).phone"] = [entry.phone == nil ? "This field is required." : "Not a Kenyan mobile number."]
            }
            for (field, value) in [("first_name", entry.firstName), ("last_name", entry.lastName)] {
                if let limit = ContactCSV.maximumLengths[field], let value, value.unicodeScalars.count > limit {
                    errors["\(at).\(field)"] = ["At most \(limit) characters."]
                }
            }
            var email: String?
            if let raw = entry.email, !raw.isEmpty {
                if let address = EmailAddress(raw) { email = address.value } else { errors["\(at).email"] = ["Not an email address."] }
            }
            var balance: KES?
            if let raw = entry.accountBalance {
                if raw.unicodeScalars.count <= 24, let value = KES(raw) {
                    balance = value
                } else {
                    errors["\(at).account_balance"] = ["An amount in KES with at most 2 decimals."]
                }
            }
            if let source = entry.consentSource, source.unicodeScalars.count > Self.maximumConsentSourceLength {
                errors["\(at).consent_source"] = ["At most \(Self.maximumConsentSourceLength) characters."]
            }
            result.append(
                Contact(
                    kind: .client, firstName: entry.firstName ?? "", lastName: entry.lastName ?? "", phone: phone, email: email,
                    accountBalance: balance, promotionalConsent: entry.promotionalConsent,
                    consentSource: entry.promotionalConsent == nil ? nil : entry.consentSource))
        }
        guard errors.isEmpty else { throw DomainError(.validation, "The request is not valid.", fields: errors) }
        return result
    }
}
