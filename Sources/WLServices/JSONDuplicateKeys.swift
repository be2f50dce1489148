import Foundation

/// Finds a key given twice in one JSON object, at any depth.
///
/// JSON leaves such a text's meaning open (RFC 8259: names SHOULD be unique), and parsers differ: one keeps the first
/// value, another the last. A body that a proxy or a client library read one way and the server another is refused
/// instead. It scans a text already known to be valid JSON; time in proportion to its length.
public enum JSONDuplicateKeys {
    /// The first key found twice in one object, or nil.
    public static func first(in bytes: UnsafeRawBufferPointer) -> String? {
        // Whether each open container is an object, and each open object's keys: kept apart so that a key is
        // inserted in place (a set copied out of an enum and written back copies all its keys for each new one,
        // quadratic in the keys of one object).
        var isObject: [Bool] = []
        var keySets: [Set<String>] = []
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
                if expectingKey, isObject.last == true {
                    let key = Self.key(UnsafeRawBufferPointer(rebasing: bytes[start..<min(end, bytes.count)]), escaped: escaped)
                    guard keySets[keySets.count - 1].insert(key).inserted else { return key }
                    expectingKey = false
                }
                index = end + 1
                continue
            case UInt8(ascii: "{"):
                isObject.append(true)
                keySets.append([])
                expectingKey = true
            case UInt8(ascii: "["):
                isObject.append(false)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if isObject.popLast() == true { _ = keySets.popLast() }
                expectingKey = false
            case UInt8(ascii: ","):
                if isObject.last == true { expectingKey = true }
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
