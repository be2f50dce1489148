import Foundation
import HTTPTypes
import Hummingbird
import WLDomain
import WLServices

extension Response {
    /// A JSON response of `value` with `status`.
    static func json(_ value: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.api.encode(value))))
    }
}

extension JSONEncoder {
    /// The API's encoder: sorted keys, so the same value always encodes to the same bytes.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`.
    static let requestID = Self("X-Request-Id")!
    /// `X-API-Key`.
    static let apiKey = Self("X-API-Key")!
}

extension Request {
    /// Reads the body (up to the context's limit) and decodes it as JSON. Decoding errors propagate as they are,
    /// so ``ErrorMapping`` can name the field (Hummingbird's own decode turns them into a bare 400).
    ///
    /// - Parameter known: When given, a top-level field not named here is refused (422 naming it), as the public
    ///   API's bodies refuse unknown fields.
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext, known: [String]? = nil) async throws -> T {
        let data = try await bodyData(context: context)
        let flat: T? = try data.withUnsafeBytes { bytes in
            // NUL is no character anyone means to send, and PostgreSQL cannot store it in text.
            if Self.hasNUL(bytes) { throw DomainError(.validation, "Text may not contain NUL characters (\\u0000).") }
            guard known == nil, let flatType = T.self as? any FlatJSONDecodable.Type, let fields = FlatJSONReader.fields(bytes) else { return nil }
            return flatType.init(flatJSON: fields) as? T
        }
        if let flat { return flat }
        if let known { try JSONDecoder().decode(KnownFields.self, from: data).refuse(except: known) }
        let value = try JSONDecoder().decode(T.self, from: data)
        // Only here: the flat reader takes no body with a key given twice.
        if let key = data.withUnsafeBytes({ JSONDuplicateKeys.first(in: $0) }) {
            throw DomainError(.validation, "The field \(key) is given more than once.", fields: [key: ["Given more than once."]])
        }
        return value
    }

    private static let nulEscape = Array(#"\u0000"#.utf8)

    /// Whether `bytes` has a NUL byte or the escape `\u0000` (not `\\u0000`, an escaped backslash before the text
    /// `u0000`).
    static func hasNUL(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let escape = nulEscape
        var index = 0
        // A backslash starts an escape only after an even run of them: `\\` is one escaped backslash.
        var backslashes = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 { return true }
            if byte == escape[0] {
                let startsEscape = backslashes.isMultiple(of: 2) && index + escape.count <= bytes.count
                if startsEscape, escape.indices.allSatisfy({ bytes[index + $0] == escape[$0] }) { return true }
                backslashes += 1
            } else {
                backslashes = 0
            }
            index += 1
        }
        return false
    }

    /// The whole body, up to `limit` (by default the context's; 413 beyond it), within the context's
    /// ``AppRequestContext/bodyReadTimeout`` however slowly it trickles in (408 after it).
    ///
    /// The time is checked as each part of the body arrives, which costs no timer per request; a body that stops
    /// arriving altogether is cut off by the connection's idle timeout instead.
    func bodyData(context: AppRequestContext, limit: Int? = nil) async throws -> Data {
        let limit = limit ?? context.maxUploadSize
        let timeout = context.bodyReadTimeout
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var collected = ByteBuffer()
        for try await part in body {
            guard collected.readableBytes + part.readableBytes <= limit else {
                throw DomainError(.payloadTooLarge, "The request body is over the limit of \(limit) bytes.")
            }
            var part = part
            collected.writeBuffer(&part)
            if ContinuousClock.now > deadline {
                throw HTTPError(.requestTimeout, message: "The request body did not arrive within \(timeout.components.seconds) seconds.")
            }
        }
        return Data(collected.readableBytesView)
    }
}

/// The field names of a JSON object body (nothing for any other JSON value: the real decode reports its type).
private struct KnownFields: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var names: [String] = []

    init(from decoder: any Decoder) throws {
        names = (try? decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue)) ?? []
    }

    func refuse(except known: [String]) throws {
        let unknown = names.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw DomainError(
                .validation, "Unknown field\(unknown.count > 1 ? "s" : ""): \(unknown.joined(separator: ", ")).",
                fields: Dictionary(uniqueKeysWithValues: unknown.map { ($0, ["Unknown field; the fields are \(known.joined(separator: ", "))."]) }))
        }
    }
}
