/// How an SMS is encoded on the air interface.
public enum SMSEncoding: String, Codable, Sendable {
    /// GSM 03.38 7-bit default alphabet (with its extension table).
    case gsm7 = "GSM-7"
    /// UCS-2 (UTF-16 code units), for any text outside GSM-7.
    case ucs2 = "UCS-2"
}

/// The encoding, length and segment count of one SMS text. One credit is charged per segment.
public struct SMSText: Hashable, Sendable {
    /// GSM-7 basic character set.
    static let gsmBasic: Set<Character> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    /// GSM-7 extension table: each costs two septets (escape + character).
    static let gsmExtension: Set<Character> = Set("^{}\\[~]|€\u{0C}")

    public let encoding: SMSEncoding
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    public let units: Int
    /// Parts the text is sent in: GSM-7 160 in one or 153 per part; UCS-2 70 in one or 67 per part.
    public let segments: Int
    /// The characters that forced UCS-2, in order of first appearance (empty for GSM-7).
    public let nonGSMCharacters: [Character]

    /// Measures `text`. An empty text is one (empty) segment.
    public init(_ text: String) {
        var septets = 0
        var offending: [Character] = []
        var seen: Set<Character> = []
        for character in text {
            if Self.gsmBasic.contains(character) {
                septets += 1
            } else if Self.gsmExtension.contains(character) {
                septets += 2
            } else if seen.insert(character).inserted {
                offending.append(character)
            }
        }
        if offending.isEmpty {
            encoding = .gsm7
            units = septets
            segments = septets <= 160 ? 1 : (septets + 152) / 153
        } else {
            encoding = .ucs2
            units = text.utf16.count
            segments = units <= 70 ? 1 : (units + 66) / 67
        }
        nonGSMCharacters = offending
    }

    /// The credits this text costs: one per segment.
    public var credits: Credits { Credits(whole: Int64(segments)) }
}
