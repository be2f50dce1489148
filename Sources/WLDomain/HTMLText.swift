import Foundation

/// The small amount of HTML handling an email needs: telling HTML from text, escaping, and a text rendering of HTML.
public enum HTMLText {
    /// Whether `body` reads as HTML: it contains a tag such as `<p>`, `<br>`, `<a …>` or `</div>`.
    public static func isHTML(_ body: String) -> Bool {
        body.range(of: #"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>"#, options: .regularExpression) != nil
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

    /// Plain text as HTML: escaped, lines joined with `<br>`.
    public static func html(fromText text: String) -> String {
        text.components(separatedBy: .newlines).map(escape).joined(separator: "<br>\r\n")
    }

    /// HTML as readable text: scripts and styles dropped, links as `text (url)`, block ends and `<br>` as line
    /// breaks, other tags dropped, entities decoded, runs of blank lines collapsed.
    public static func text(fromHTML html: String) -> String {
        var text = html
        let rules: [(String, String)] = [
            (#"(?is)<(script|style|head)\b.*?</\1\s*>"#, ""),
            (#"(?is)<a\b[^>]*?href\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a\s*>"#, "$2 ($1)"),
            (#"(?i)<br\s*/?>"#, "\n"),
            (#"(?i)</(p|div|h[1-6]|li|tr|table|ul|ol|blockquote)\s*>"#, "\n"),
            (#"(?i)<li\b[^>]*>"#, "- "),
            (#"<[^>]*>"#, ""),
            (#"[ \t]+"#, " "),
            (#"\n[ \t]+"#, "\n"),
            (#"\n{3,}"#, "\n\n"),
        ]
        for (pattern, replacement) in rules {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return decodeEntities(text).trimmingCharacters(in: .whitespacesAndNewlines)
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
