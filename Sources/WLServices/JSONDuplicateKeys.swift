import Foundation

/// Finds a key given twice in one JSON object, at any depth.
///
/// JSON leaves such a text's meaning open (RFC 8259: names SHOULD be unique), and parsers differ: one keeps the first
/// value, another the last. A body that a proxy or a client library read one way and the server another is refused
/// instead. It scans a text already known to be valid JSON; time in proportion to its length.
public enum JSONDuplicateKeys {
    private enum Frame {
        case object(Set<String>)
        case array
    }

    /// The first key found twice in one object, or nil.
    public static func first(in bytes: UnsafeRawBufferPointer) -> String? {
        var frames: [Frame] = []
        var expectingKey = false
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let start = index + 1
                var end = start
                var escaped = false
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\") {
                        escaped = true
                        end += 1
                    }
                    end += 1
                }
                if expectingKey, case .object(var keys) = frames.last {
                    let key = Self.key(UnsafeRawBufferPointer(rebasing: bytes[start..<min(end, bytes.count)]), escaped: escaped)
                    guard keys.insert(key).inserted else { return key }
                    frames[frames.count - 1] = .object(keys)
                    expectingKey = false
                }
                index = end + 1
                continue
            case UInt8(ascii: "{"):
                frames.append(.object([]))
                expectingKey = true
            case UInt8(ascii: "["):
                frames.append(.array)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = frames.popLast()
                expectingKey = false
            case UInt8(ascii: ","):
                if case .object = frames.last { expectingKey = true }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// A key's text, its escapes decoded (rare, so the slow way), so that `"a"` and `"\u0061"` are the same key.
    private static func key(_ raw: UnsafeRawBufferPointer, escaped: Bool) -> String {
        let text = String(decoding: raw, as: UTF8.self)
        guard escaped else { return text }
        return (try? JSONDecoder().decode(String.self, from: Data(("\"" + text + "\"").utf8))) ?? text
    }
}
