import Foundation

/// The body Daraja POSTs to the STK callback URL, read as the documentation says it arrives: ResultCode a number,
/// CallbackMetadata only on success, its items read by Name (Amount with decimals, Balance without a Value,
/// TransactionDate and PhoneNumber as numbers).
public struct MpesaCallback: Decodable, Sendable {
    public var merchantRequestID: String?
    public var checkoutRequestID: String
    public var resultCode: Int
    public var resultDescription: String
    /// CallbackMetadata's items by Name; a missing Value is absent.
    public var items: [String: String]

    private enum Outer: String, CodingKey { case body = "Body" }
    private enum Body: String, CodingKey { case stkCallback }
    private enum Callback: String, CodingKey {
        case merchantRequestID = "MerchantRequestID"
        case checkoutRequestID = "CheckoutRequestID"
        case resultCode = "ResultCode"
        case resultDescription = "ResultDesc"
        case metadata = "CallbackMetadata"
    }
    private enum Metadata: String, CodingKey { case item = "Item" }
    private struct Item: Decodable {
        var name: String
        var value: Scalar?
        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case value = "Value"
        }
    }

    /// A JSON number or string, kept as its text (numbers through `Decimal`, so `1.00` reads as `1`).
    struct Scalar: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Decimal.self) {
                text = "\(number)"
            } else {
                text = try container.decode(String.self)
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let callback = try decoder.container(keyedBy: Outer.self).nestedContainer(keyedBy: Body.self, forKey: .body)
            .nestedContainer(keyedBy: Callback.self, forKey: .stkCallback)
        merchantRequestID = try callback.decodeIfPresent(Scalar.self, forKey: .merchantRequestID)?.text
        checkoutRequestID = try callback.decode(Scalar.self, forKey: .checkoutRequestID).text
        let code = try callback.decode(Scalar.self, forKey: .resultCode).text
        guard let resultCode = Int(code) else {
            throw DecodingError.dataCorruptedError(forKey: .resultCode, in: callback, debugDescription: "ResultCode is not a whole number")
        }
        self.resultCode = resultCode
        resultDescription = try callback.decodeIfPresent(Scalar.self, forKey: .resultDescription)?.text ?? ""
        var items: [String: String] = [:]
        if callback.contains(.metadata), try !callback.decodeNil(forKey: .metadata) {
            let metadata = try callback.nestedContainer(keyedBy: Metadata.self, forKey: .metadata)
            for item in try metadata.decodeIfPresent([Item].self, forKey: .item) ?? [] {
                if let value = item.value { items[item.name] = value.text }
            }
        }
        self.items = items
    }

    /// What the callback says happened. A success's Amount is read to the cent (a missing or unreadable one reads as
    /// 0, so the payment is held, never credited blind); TransactionDate is Nairobi time.
    public var outcome: PaymentOutcome {
        guard resultCode == 0 else { return .declined(resultCode: resultCode, description: resultDescription) }
        return .paid(
            receipt: items["MpesaReceiptNumber"], amount: items["Amount"].flatMap(KES.init) ?? KES(cents: 0),
            paidAt: items["TransactionDate"].flatMap(MpesaTime.parse))
    }
}
