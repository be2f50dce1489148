import Foundation

/// The small amount of HTML handling an email needs: telling HTML from text, escaping, and a text rendering of HTML.
public enum HTMLText {
    /// Whether `body` reads as HTML: it contains a tag such as `<p>`, `<br>`, `<a …>` or `</div>`. Linear in `body`.
    public static func isHTML(_ body: String) -> Bool {
        var scanner = HTMLScanner(body)
        while let token = scanner.next() {
            if case .tag(let tag) = token, !tag.name.isEmpty, isTagEnd(tag, in: scanner.bytes) { return true }
        }
        return false
    }

    /// Whether a tag ends as a tag does: right after its name, or after white space and attributes, with `>` or `/>`
    /// (so `2 <b and c> 3`-like text with a space in the name counts, as it did, but `a<b>c` does too).
    private static func isTagEnd(_ tag: HTMLScanner.Tag, in bytes: [UInt8]) -> Bool {
        let attributes = tag.attributes
        guard let first = attributes.first.map({ bytes[$0] }) else { return true }
        if first == UInt8(ascii: "/") { return attributes.count == 1 }
        return first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, for HTML.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Plain text as HTML: escaped, lines joined with `<br>`. A Windows line break (CR LF, one `Character`) is one
    /// break, not two.
    public static func html(fromText text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { escape(String($0)) }.joined(separator: "<br>\r\n")
    }

    /// HTML as readable text: scripts, styles and the head dropped, links as `text (url)`, block ends and `<br>` as
    /// line breaks, `<li>` as `- `, other tags and comments dropped, entities decoded, runs of blank lines collapsed.
    /// One pass: time and memory grow linearly with `html`, whatever its shape.
    public static func text(fromHTML html: String) -> String {
        var scanner = HTMLScanner(html)
        var out: [UInt8] = []
        out.reserveCapacity(scanner.bytes.count)
        var link: String?
        while let token = scanner.next() {
            switch token {
            case .text(let range): out += scanner.bytes[range]
            case .markup: break
            case .tag(let tag):
                switch tag.name {
                case "br": out.append(0x0A)
                case "a" where tag.isClosing:
                    if let url = link { out += Array(" (\(url))".utf8) }
                    link = nil
                case "a": if link == nil { link = scanner.attribute("href", of: tag)?.value }
                case "li" where !tag.isClosing: out += Array("- ".utf8)
                case _ where tag.isClosing && blockNames.contains(tag.name): out.append(0x0A)
                default: break
                }
            }
        }
        return decodeEntities(collapseSpace(out)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Elements whose end is a line break in text.
    private static let blockNames: Set<String> = ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "table", "ul", "ol", "blockquote"]

    /// Runs of spaces and tabs as one space, none at the start of a line, and at most one blank line in a row.
    private static func collapseSpace(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var newlines = 0
        var pendingSpace = false
        for byte in bytes {
            switch byte {
            case 0x20, 0x09:
                pendingSpace = out.last != 0x0A
            case 0x0A:
                pendingSpace = false
                newlines += 1
                if newlines <= 2 { out.append(0x0A) }
            default:
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                newlines = 0
                out.append(byte)
            }
        }
        if pendingSpace { out.append(0x20) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The common named entities and numeric ones.
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " "]
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let tail = rest[amp...]
            if let semicolon = tail.prefix(10).firstIndex(of: ";") {
                let name = String(tail[tail.index(after: amp)..<semicolon])
                var decoded: String?
                if let value = named[name] {
                    decoded = value
                } else if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    decoded = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                }
                if let decoded {
                    out += decoded
                    rest = tail[tail.index(after: semicolon)...]
                    continue
                }
            }
            out += "&"
            rest = tail.dropFirst()
        }
        return out + rest
    }
}
