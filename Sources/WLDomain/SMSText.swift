/// How an SMS is encoded on the air interface.
public enum SMSEncoding: String, Codable, Sendable {
    /// GSM 03.38 7-bit default alphabet (with its extension table).
    case gsm7 = "GSM-7"
    /// UCS-2 (UTF-16 code units), for any text outside GSM-7.
    case ucs2 = "UCS-2"
}

/// The encoding, length and segment count of one SMS text. One credit is charged per segment.
public struct SMSText: Hashable, Sendable {
    /// GSM-7 basic character set, as code points: a `Character` would also match another spelling Unicode holds
    /// equivalent (`e` and a combining accent for `é`, U+037E for `;`), which is not GSM on the wire.
    static let gsmBasic: Set<Unicode.Scalar> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
            .unicodeScalars)
    /// GSM-7 extension table: each costs two septets (escape + character).
    static let gsmExtension: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)

    public let encoding: SMSEncoding
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    public let units: Int
    /// Parts the text is sent in: GSM-7 160 in one or up to 153 per part; UCS-2 70 in one or up to 67 per part. A
    /// part never splits an extension character's escape pair (GSM-7) or a surrogate pair (UCS-2): such a character
    /// that would straddle two parts starts the next one, as phones and SMSCs require.
    public let segments: Int
    /// The characters that forced UCS-2, in order of first appearance (empty for GSM-7).
    public let nonGSMCharacters: [Character]

    /// Measures `text` code point by code point, as it goes on the wire (``PromotionalPolicy/text(_:category:)``
    /// composes it first, so an accent typed apart still counts as its GSM letter). An empty text is one (empty)
    /// segment.
    public init(_ text: String) {
        var septets = 0
        var offending: [Character] = []
        var seen: Set<Character> = []
        for character in text {
            var cost = 0
            for scalar in character.unicodeScalars {
                if Self.gsmBasic.contains(scalar) {
                    cost += 1
                } else if Self.gsmExtension.contains(scalar) {
                    cost += 2
                } else {
                    cost = -1
                    break
                }
            }
            if cost >= 0 {
                septets += cost
            } else if seen.insert(character).inserted {
                offending.append(character)
            }
        }
        if offending.isEmpty {
            encoding = .gsm7
            units = septets
            segments = septets <= 160 ? 1 : Self.parts(text.unicodeScalars.lazy.map { Self.gsmExtension.contains($0) ? 2 : 1 }, of: 153)
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
