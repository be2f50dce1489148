/// The Kenyan mobile networks, by the names reports use.
public enum MobileNetwork: String, Codable, Sendable, CaseIterable {
    case safaricom = "Safaricom"
    case airtel = "Airtel"
    case telkom = "Telkom"
    case equitel = "Equitel"

    /// The network for an Africa's Talking `networkCode` (MCC+MNC): 63902 Safaricom, 63903 Airtel, 63907 Telkom,
    /// 63999 Equitel.
    public init?(networkCode: String) {
        switch networkCode {
        case "63902": self = .safaricom
        case "63903": self = .airtel
        case "63907": self = .telkom
        case "63999": self = .equitel
        default: return nil
        }
    }

    /// The network a number's prefix was allocated to (numbers can be ported, so reports win over this guess):
    /// 073x, 0750–0756, 0762, 078x and 0100–0102 Airtel; 077x Telkom; 0763–0766 Equitel; the rest Safaricom.
    public init(prefixOf number: PhoneNumber) {
        let subscriber = number.e164Digits.dropFirst(3)
        let two = String(subscriber.prefix(2))
        let three = Int(subscriber.prefix(3)) ?? 0
        if two == "73" || two == "78" || (750...756).contains(three) || three == 762 || (100...102).contains(three) {
            self = .airtel
        } else if two == "77" {
            self = .telkom
        } else if (763...766).contains(three) {
            self = .equitel
        } else {
            self = .safaricom
        }
    }
}
