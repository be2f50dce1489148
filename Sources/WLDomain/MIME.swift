public import Foundation

/// Quoted-printable (RFC 2045) for UTF-8 text: CRLF line breaks kept as hard breaks, lines at most 76 characters
/// with soft breaks, `=`, non-ASCII bytes, control bytes and trailing spaces encoded.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> String {
        lines(text).map(encodeLine).joined(separator: "\r\n")
    }

    /// The UTF-8 bytes of each line of `text`; a CRLF, a lone CR and a lone LF each end one.
    static func lines(_ text: String) -> [[UInt8]] {
        // Bytes, not Foundation's replacingOccurrences: that missed a CRLF followed by a combining mark, so the CR
        // and the LF each became a line break.
        var lines: [[UInt8]] = [[]]
        var afterCR = false
        for byte in text.utf8 {
            defer { afterCR = byte == 13 }
            if byte == 10 && afterCR { continue }
            if byte == 10 || byte == 13 {
                lines.append([])
            } else {
                lines[lines.count - 1].append(byte)
            }
        }
        return lines
    }

    private static func encodeLine(_ bytes: [UInt8]) -> String {
        var out = ""
        var current = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !isLast)
            // A line starting with "." is escaped, so no SMTP server ever sees a lone "." line from us.
            let token = literal && !(current == 0 && byte == 46) ? String(UnicodeScalar(byte)) : hex(byte)
            if current + token.count > (isLast ? 76 : 75) {
                out += "=\r\n"
                current = 0
            }
            out += token
            current += token.count
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
    }
}

/// Header text within line limits: printable ASCII as it is (folded at spaces when the line would pass 78
/// characters), anything else as RFC 2047 encoded words (`=?UTF-8?B?…?=`, never splitting a character that fits in
/// one), folded with CRLF and a space so no line passes 76 characters.
public enum EncodedWord {
    /// The longest header line we write.
    static let lineLimit = 78
    /// The longest line that holds an encoded word (RFC 2047).
    static let encodedLineLimit = 76

    /// `text` as it may appear in a header after a field name `prefixLength` characters long (`Subject: ` is 9).
    public static func encode(_ text: String, prefixLength: Int = 0) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) {
            if prefixLength + text.utf8.count <= lineLimit { return text }
            if let folded = fold(text, firstLimit: lineLimit - prefixLength) { return folded }
        }
        var words: [String] = []
        var chunk: [UInt8] = []
        // Base64 turns 3 bytes into 4 characters; each line holds its lead (the field name, or the folding space)
        // and the 12 characters of `=?UTF-8?B?` and `?=`.
        // An encoded word is at most 75 characters: 45 bytes of text.
        func capacity(lead: Int) -> Int { min(45, (encodedLineLimit - lead - 12) / 4 * 3) }
        var limit = capacity(lead: prefixLength)
        for character in text {
            let bytes = Array(String(character).utf8)
            // A character too long for a word of its own (a letter under dozens of combining marks) is split between
            // its scalars, which RFC 2047 allows, so no line passes the limit.
            let fits = bytes.count <= (chunk.isEmpty ? limit : capacity(lead: 1))
            for piece in fits ? [bytes] : character.unicodeScalars.map({ Array(String($0).utf8) }) {
                if chunk.count + piece.count > limit, !chunk.isEmpty {
                    words.append(word(chunk))
                    chunk = []
                    limit = capacity(lead: 1)
                }
                chunk += piece
            }
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    /// Printable ASCII folded before spaces so the first line is at most `firstLimit` characters and the rest at most
    /// ``lineLimit``; unfolding (removing each CRLF) gives `text` back. `nil` when a word is too long to fit, or a
    /// line would be only spaces.
    static func fold(_ text: String, firstLimit: Int) -> String? {
        var lines: [String] = []
        var current = ""
        var limit = firstLimit
        for (index, word) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let piece = index == 0 ? String(word) : " " + word
            if !current.isEmpty, current.utf8.count + piece.utf8.count > limit {
                lines.append(current)
                current = piece
                limit = lineLimit
            } else {
                current += piece
            }
            if current.utf8.count > limit { return nil }
        }
        lines.append(current)
        guard lines.dropFirst().allSatisfy({ $0.contains { $0 != " " } }) else { return nil }
        return lines.joined(separator: "\r\n")
    }

    private static func word(_ bytes: [UInt8]) -> String { "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?=" }
}

/// A mailbox for a header: `"Display Name" <address>` (the name encoded when not ASCII), or the bare address.
public struct Mailbox: Hashable, Sendable {
    public var address: EmailAddress
    public var name: String?

    public init(address: EmailAddress, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// The header form.
    public var header: String {
        guard let name, !name.isEmpty else { return address.value }
        let ascii = name.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value < 127 }
        let display =
            ascii
            ? "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            : EncodedWord.encode(name, prefixLength: "From: ".count)
        return "\(display) <\(address.value)>"
    }
}

/// One email ready for SMTP: its envelope and its RFC 5322 text (CRLF line ends).
public struct OutgoingEmail: Sendable, Hashable {
    public var messageID: Int64
    public var from: Mailbox
    public var to: EmailAddress
    /// The `Message-ID` header's value, `<…>`.
    public var headerMessageID: String
    /// The whole message, headers and body.
    public var data: String

    /// What an address may keep unescaped in the `List-Unsubscribe` mailto URI (RFC 3986's unreserved and `@`).
    static let mailtoAddress = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~@")

    /// Builds the message: the headers the issue lists and a `multipart/alternative` body of a text and an HTML part,
    /// both UTF-8 quoted-printable.
    public init(
        messageID: Int64, from: Mailbox, replyTo: EmailAddress?, to: EmailAddress, subject: String, text: String, html: String, date: Date,
        random: UInt64
    ) {
        self.messageID = messageID
        self.from = from
        self.to = to
        headerMessageID = "<wl.\(messageID).\(String(random, radix: 36))@\(from.address.domain)>"
        let boundary = "=_wl_\(messageID)_\(String(random, radix: 36))"
        // RFC 6068: `?`, `%`, `#` and the like, valid in an address, would break the mailto URI unless escaped.
        let unsubscribe = (replyTo ?? from.address).value.addingPercentEncoding(withAllowedCharacters: Self.mailtoAddress) ?? ""
        var headers = [
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(headerMessageID)",
            "From: \(from.header)",
            "To: \(to.value)",
        ]
        if let replyTo { headers.append("Reply-To: \(replyTo.value)") }
        headers += [
            "Subject: \(EncodedWord.encode(subject, prefixLength: "Subject: ".count))",
            "MIME-Version: 1.0",
            "List-Unsubscribe: <mailto:\(unsubscribe)?subject=unsubscribe>",
            "X-WL-Message-Id: \(messageID)",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        let part = { (type: String, body: String) in
            "--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + QuotedPrintable.encode(body) + "\r\n"
        }
        data =
            headers.joined(separator: "\r\n") + "\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n"
            + part("text/plain", text) + part("text/html", html) + "--\(boundary)--\r\n"
    }

    /// `Mon, 30 Nov 2026 10:30:46 +0000`, in UTC (by hand: a `DateFormatter` per email cost more than the email).
    static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let civil = FirmTime.civil(seconds)  // YYYY-MM-DDTHH:MM:SS
        let year = civil.prefix(4)
        let month = Int(civil.dropFirst(5).prefix(2)) ?? 1
        let day = civil.dropFirst(8).prefix(2)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        // 1 January 1970 was a Thursday.
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(((days % 7) + 7) % 7)]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(weekday), \(day) \(months[month - 1]) \(year) \(civil.suffix(8)) +0000"
    }
}
