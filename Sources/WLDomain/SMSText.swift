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
    /// Parts the text is sent in: GSM-7 160 in one or up to 153 per part; UCS-2 70 in one or up to 67 per part. A
    /// part never splits an extension character's escape pair (GSM-7) or a surrogate pair (UCS-2): such a character
    /// that would straddle two parts starts the next one, as phones and SMSCs require.
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
            } else if character == "\r\n" {
                // One Character to Swift, two septets on the air (a Windows line break).
                septets += 2
            } else if Self.gsmExtension.contains(character) {
                septets += 2
            } else if seen.insert(character).inserted {
                offending.append(character)
            }
        }
        if offending.isEmpty {
            encoding = .gsm7
            units = septets
            segments =
                septets <= 160
                ? 1 : Self.parts(text.lazy.flatMap { Self.gsmExtension.contains($0) ? [2] : $0 == "\r\n" ? [1, 1] : [1] }, of: 153)
        } else {
            encoding = .ucs2
            units = text.utf16.count
            segments = units <= 70 ? 1 : Self.parts(text.unicodeScalars.lazy.map { UTF16.width($0) }, of: 67)
        }
        nonGSMCharacters = offending
    }

    /// How many parts of `capacity` units hold these indivisible pieces, in order, each part as full as it can be.
    static func parts(_ pieces: some Sequence<Int>, of capacity: Int) -> Int {
        var parts = 1
        var used = 0
        for piece in pieces {
            if used + piece > capacity {
                parts += 1
                used = 0
            }
            used += piece
        }
        return parts
    }

    /// The credits this text costs: one per segment.
    public var credits: Credits { Credits(whole: Int64(segments)) }
}
