import Foundation
import WLDomain

/// The body of `POST /sms-credits/purchase`: `phone` and `amount` (whole KES), nothing else.
public struct PurchaseRequest: Decodable, Sendable {
    public var phone: String?
    /// Kept as JSON gave it, so `1.5` and `"500"` are refused rather than rounded or converted.
    var amount: Decimal?
    var amountIsNumber = true

    public init(phone: String?, amount: Int64?) {
        self.phone = phone
        self.amount = amount.map { Decimal($0) }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case phone, amount
    }

    public init(from decoder: any Decoder) throws {
        try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        phone = try container.decodeIfPresent(String.self, forKey: .phone)
        if let number = try? container.decodeIfPresent(Decimal.self, forKey: .amount) {
            amount = number
        } else if container.contains(.amount), try !container.decodeNil(forKey: .amount) {
            amountIsNumber = false
        }
    }

    /// The checked request.
    struct Valid {
        var phone: PhoneNumber
        var amount: KES
    }

    /// - Throws: `.validation` naming each bad field.
    func validated() throws -> Valid {
        var errors: [String: [String]] = [:]
        let number = phone.flatMap(PhoneNumber.init)
        if phone == nil {
            errors["phone"] = ["This field is required."]
        } else if number == nil {
            errors["phone"] = ["Not a Kenyan mobile number (2547…, 07…, 7…, +254…, 2541…, 01…, 1…)."]
        }
        let range = "a whole number of KES from 1 to \(Payment.maximumShillings)"
        var shillings: Int64?
        if !amountIsNumber {
            errors["amount"] = ["Expected a number: \(range)."]
        } else if let amount {
            if let whole = KES("\(amount)"), whole.cents % 100 == 0, (1...Payment.maximumShillings).contains(whole.cents / 100) {
                shillings = whole.cents / 100
            } else {
                errors["amount"] = ["Must be \(range)."]
            }
        } else {
            errors["amount"] = ["This field is required."]
        }
        guard errors.isEmpty, let number, let shillings else { throw DomainError(.validation, "The request is not valid.", fields: errors) }
        return Valid(phone: number, amount: KES(shillings: shillings))
    }
}
