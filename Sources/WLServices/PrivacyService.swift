import Foundation
public import WLDomain
public import WLPorts

/// The Data Protection Act 2019 duties a firm meets through the service (see docs/privacy.md): erasure of one
/// person, and a copy of what is held about them.
public struct PrivacyService: Sendable {
    let store: any Store
    let time: any TimeSource

    public init(store: any Store, time: any TimeSource) {
        self.store = store
        self.time = time
    }

    /// The person named by exactly one of `phone` (any accepted form) and `email`.
    /// - Throws: `.validation` naming the field otherwise.
    public static func subject(phone: String?, email: String?) throws -> DataSubject {
        switch (phone.flatMap { $0.isEmpty ? nil : $0 }, email.flatMap { $0.isEmpty ? nil : $0 }) {
        case (let phone?, nil):
            guard let number = PhoneNumber(phone) else {
                throw DomainError(.validation, "The phone number is not valid.", fields: ["phone": ["Not a Kenyan mobile number."]])
            }
            return .phone(number.e164Digits)
        case (nil, let email?):
            guard let address = EmailAddress(email) else {
                throw DomainError(.validation, "The email address is not valid.", fields: ["email": ["Not an email address."]])
            }
            return .email(address.comparisonKey)
        case (nil, nil):
            throw DomainError(.validation, "Name the person by phone or by email.", fields: ["phone": ["Give phone or email."]])
        case (_?, _?):
            throw DomainError(.validation, "Name the person by phone or by email.", fields: ["phone": ["Give phone or email, not both."]])
        }
    }

    /// Erases the person from the firm's records, leaving ledger amounts and message counts intact.
    public func erase(_ subject: DataSubject, firmID: Int64) async throws -> ErasureSummary {
        try await store.erase(firmID: firmID, subject: subject, now: time.now)
    }

    /// What the firm holds about the person, as the API and the CLI show it.
    public func export(_ subject: DataSubject, firm: Firm) async throws -> PersonalDataView {
        var export = try await store.personalData(firmID: firm.id, subject: subject)
        // An email without placeholders is stored once, as its blast's template, and each message's empty body stands
        // for it: the person was sent that text. Retention empties a message's subject with its body, and the
        // template only once the whole blast is final, so a message without a subject is redacted and stays empty.
        let shared = export.messages.filter(\.standsForItsBlastsTemplate)
        let templates = try await store.blastTemplates(ids: Set(shared.map(\.blastID)))
        for index in export.messages.indices where export.messages[index].standsForItsBlastsTemplate {
            export.messages[index].body = templates[export.messages[index].blastID] ?? ""
        }
        return PersonalDataView(subject: subject, export: export, timezone: firm.timezone)
    }
}

extension Message {
    /// An email whose text is its blast's template (stored once for every recipient), not yet redacted.
    fileprivate var standsForItsBlastsTemplate: Bool { channel == .email && body.isEmpty && subject != nil }
}

/// A subject access answer: every record about one person, times in the firm's timezone.
public struct PersonalDataView: Encodable, Sendable {
    struct ContactView: Encodable {
        var kind: String
        var firstName: String
        var lastName: String
        var phone: String?
        var email: String?
        var accountBalance: KES?
        var promotionalConsent: Bool?
        var consentSource: String?

        enum CodingKeys: String, CodingKey {
            case kind, phone, email
            case firstName = "first_name"
            case lastName = "last_name"
            case accountBalance = "account_balance"
            case promotionalConsent = "promotional_consent"
            case consentSource = "consent_source"
        }
    }

    struct MessageView: Encodable {
        var messageID: Int64
        var channel: String
        var blastID: String
        var category: String?
        var subject: String?
        var body: String
        var status: String
        var response: String
        var createdAt: String
        var sentAt: String?
        var deliveredAt: String?

        enum CodingKeys: String, CodingKey {
            case channel, category, subject, body, status, response
            case messageID = "message_id"
            case blastID = "blast_id"
            case createdAt = "created_at"
            case sentAt = "sent_at"
            case deliveredAt = "delivered_at"
        }
    }

    struct PaymentView: Encodable {
        var paymentID: Int64
        var amount: KES
        var status: String
        var receipt: String?
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case amount, status, receipt
            case paymentID = "payment_id"
            case createdAt = "created_at"
        }
    }

    struct OptOutView: Encodable {
        var source: String
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case source
            case createdAt = "created_at"
        }
    }

    var subject: String
    var contacts: [ContactView]
    var messages: [MessageView]
    var smsOptOut: OptOutView?
    var emailSuppressed: Bool
    var payments: [PaymentView]

    enum CodingKeys: String, CodingKey {
        case subject, contacts, messages, payments
        case smsOptOut = "sms_opt_out"
        case emailSuppressed = "email_suppressed"
    }

    init(subject: DataSubject, export: PersonalDataExport, timezone: String) {
        func time(_ date: Date) -> String { FirmTime.format(date, timezone: timezone) }
        self.subject = subject.value
        contacts = export.contacts.map {
            ContactView(
                kind: $0.kind.rawValue, firstName: $0.firstName, lastName: $0.lastName, phone: $0.phone?.e164Digits, email: $0.email,
                accountBalance: $0.accountBalance, promotionalConsent: $0.promotionalConsent, consentSource: $0.consentSource)
        }
        messages = export.messages.map {
            MessageView(
                messageID: $0.id, channel: $0.channel.rawValue, blastID: $0.blastID, category: $0.channel == .sms ? $0.category.rawValue : nil,
                subject: $0.subject, body: $0.body, status: $0.status.rawValue, response: $0.response, createdAt: time($0.createdAt),
                sentAt: $0.sentAt.map(time), deliveredAt: $0.deliveredAt.map(time))
        }
        smsOptOut = export.optOut.map { OptOutView(source: $0.source.rawValue, createdAt: time($0.createdAt)) }
        emailSuppressed = export.emailSuppressed
        payments = export.payments.map {
            PaymentView(paymentID: $0.id, amount: $0.amount, status: $0.status.rawValue, receipt: $0.receipt, createdAt: time($0.createdAt))
        }
    }
}

/// The body of `POST /privacy/erasure`: exactly one of `phone` and `email`.
public struct ErasureRequest: Decodable, Sendable {
    public var phone: String?
    public var email: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case phone, email }

    public init(from decoder: any Decoder) throws {
        try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        phone = try container.decodeIfPresent(String.self, forKey: .phone)
        email = try container.decodeIfPresent(String.self, forKey: .email)
    }
}
