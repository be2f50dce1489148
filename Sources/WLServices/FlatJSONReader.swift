/// Reads the JSON objects most request bodies are: each value a string, `null` or an array of strings.
///
/// It exists for speed: `JSONDecoder`'s generic machinery was the largest single cost of a single-recipient
/// `POST /sms` after the HTTP server itself. It reads valid JSON only, with the same strings `JSONDecoder` would give
/// (escapes decoded, the text checked as UTF-8), and answers nil for anything else: another kind of value, a key given
/// twice, a raw control character, a lone surrogate, bytes after the object. The caller then decodes with
/// `JSONDecoder`, whose errors name the problem, so a body reads the same either way.
public enum FlatJSONReader {
    /// A value the reader takes.
    public enum Value: Sendable, Hashable {
        /// A string, its escapes decoded.
        case string(String)
        /// `null`.
        case null
        /// An array of strings (possibly empty).
        case strings([String])
    }

    /// One field, in the order of the text.
    public typealias Field = (key: String, value: Value)

    /// The object's fields, or nil when `bytes` is not such an object.
    public static func fields(_ bytes: UnsafeRawBufferPointer) -> [Field]? {
        var cursor = Cursor(bytes: bytes)
        guard let fields = cursor.object(), cursor.atEnd else { return nil }
        return fields
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool {
            mutating get {
                skipWhitespace()
                return index == bytes.count
            }
        }

        mutating func object() -> [Field]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var fields: [Field] = []
            // A set, so a body of many keys costs time in proportion to its size.
            var keys = Set<String>()
            if take(UInt8(ascii: "}")) { return fields }
            repeat {
                guard take(UInt8(ascii: "\"")), let key = string(), take(UInt8(ascii: ":")), let value = value() else { return nil }
                guard keys.insert(key).inserted else { return nil }
                fields.append((key, value))
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}")) ? fields : nil
        }

        private mutating func value() -> Value? {
            if take(UInt8(ascii: "\"")) { return string().map(Value.string) }
            if take(UInt8(ascii: "[")) { return strings().map(Value.strings) }
            guard take(UInt8(ascii: "n")), index + 3 <= bytes.count, bytes[index] == UInt8(ascii: "u"), bytes[index + 1] == UInt8(ascii: "l"),
                bytes[index + 2] == UInt8(ascii: "l")
            else { return nil }
            index += 3
            return .null
        }

        /// The strings of an array, after its `[`.
        private mutating func strings() -> [String]? {
            var result: [String] = []
            if take(UInt8(ascii: "]")) { return result }
            repeat {
                guard take(UInt8(ascii: "\"")), let text = string() else { return nil }
                result.append(text)
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? result : nil
        }

        /// The string whose opening quote was just taken, up to and past its closing quote.
        private mutating func string() -> String? {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
                if byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        /// The rest of a string that has escapes, its first at `index`.
        private mutating func escapedString(from start: Int) -> String? {
            var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(validating: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let scalar = escape() else { return nil }
                    utf8.append(contentsOf: UTF8.encode(scalar)!)
                case ..<0x20: return nil
                default: utf8.append(byte)
                }
            }
            return nil
        }

        /// The character an escape stands for, its backslash taken.
        private mutating func escape() -> Unicode.Scalar? {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return Unicode.Scalar(byte)
            case UInt8(ascii: "b"): return "\u{8}"
            case UInt8(ascii: "f"): return "\u{c}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                guard let unit = hexUnit() else { return nil }
                guard (0xD800...0xDBFF).contains(unit) else { return Unicode.Scalar(unit) }
                guard take(UInt8(ascii: "\\"), skippingWhitespace: false), take(UInt8(ascii: "u"), skippingWhitespace: false),
                    let low = hexUnit(), (0xDC00...0xDFFF).contains(low)
                else { return nil }
                return Unicode.Scalar(0x10000 + (UInt32(unit) - 0xD800) << 10 + (UInt32(low) - 0xDC00))
            default: return nil
            }
        }

        /// Four hex digits.
        private mutating func hexUnit() -> UInt16? {
            guard index + 4 <= bytes.count else { return nil }
            var unit: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                unit = unit << 4 | UInt16(digit)
                index += 1
            }
            return unit
        }

        /// Takes `byte` if it comes next (after JSON's whitespace, unless told otherwise).
        private mutating func take(_ byte: UInt8, skippingWhitespace: Bool = true) -> Bool {
            if skippingWhitespace { skipWhitespace() }
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
                default: return
                }
            }
        }
    }
}
