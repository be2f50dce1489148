import WLDomain

/// A value of a flat JSON object (see ``FlatJSON``).
public enum FlatJSONValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case null

    /// A string, or `null` when there is none.
    public static func optional(_ string: String?) -> FlatJSONValue {
        string.map(FlatJSONValue.string) ?? .null
    }
}

/// A flat JSON object (strings, integers and nulls), written straight to bytes or through an `Encoder`.
///
/// ``bytes(_:)`` sorts the keys and escapes strings exactly as `JSONEncoder` does with `.sortedKeys` and
/// `.withoutEscapingSlashes`, so its bytes equal the encoder's. Every webhook delivery writes its body this way: the
/// encoder's generic machinery was about 6 % of the CPU while webhooks were delivered.
public enum FlatJSON {
    /// One field.
    public typealias Field = (key: String, value: FlatJSONValue)

    /// `{"key":value,…}` with the keys in byte order.
    public static func bytes(_ fields: [Field]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + fields.count * 32)
        out.append(UInt8(ascii: "{"))
        for (index, field) in fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(field.key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch field.value {
            case .string(let text): appendString(text, to: &out)
            case .integer(let number): out.append(contentsOf: String(number).utf8)
            case .null: out.append(contentsOf: "null".utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Writes `fields` into `encoder`'s keyed container (beside any other fields the caller writes there).
    public static func encode(_ fields: [Field], to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        for field in fields {
            let key = FieldKey(field.key)
            switch field.value {
            case .string(let text): try container.encode(text, forKey: key)
            case .integer(let number): try container.encode(number, forKey: key)
            case .null: try container.encodeNil(forKey: key)
            }
        }
    }

    /// A JSON string: `"`, `\` and the control characters escaped (`\b`, `\f`, `\n`, `\r`, `\t`, else `\u00xx`),
    /// everything else (`/` and all of UTF-8 included) as it is: the bytes `JSONEncoder` writes with
    /// `.withoutEscapingSlashes`.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(contentsOf: [byte].hex.utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A key known only at run time.
    struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ key: String) { stringValue = key }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
