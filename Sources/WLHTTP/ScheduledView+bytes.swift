import Hummingbird
import WLServices

extension ScheduledView {
    /// The 202 answer, `{"data":…,"message":…,"status":"success"}`, written straight to bytes.
    ///
    /// The bytes equal what `JSONEncoder.api` makes of `SuccessEnvelope(message:data:)` (sorted keys, slashes
    /// unescaped; a test holds them equal). A 10,000-recipient blast's answer took the encoder about 18 ms, an eighth
    /// of the request; written here it takes a few.
    func accepted(message: String) -> Response {
        var out: [UInt8] = []
        out.reserveCapacity(256 + messages.count * 48 + skipped.count * 48)
        out.append(contentsOf: #"{"data":{"blast_id":"#.utf8)
        FlatJSON.appendString(blastID, to: &out)
        if let category {
            out.append(contentsOf: #","category":"#.utf8)
            FlatJSON.appendString(category.rawValue, to: &out)
        }
        out.append(contentsOf: #","messages":["#.utf8)
        for (index, item) in messages.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"message_id":"#.utf8)
            out.append(contentsOf: String(item.messageID).utf8)
            out.append(contentsOf: #","recipient":"#.utf8)
            FlatJSON.appendString(item.recipient, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"reference":"#.utf8)
        Self.append(optional: reference, to: &out)
        out.append(contentsOf: #","scheduled":"#.utf8)
        out.append(contentsOf: String(scheduled).utf8)
        if let scheduledFor {
            out.append(contentsOf: #","scheduled_for":"#.utf8)
            FlatJSON.appendString(scheduledFor, to: &out)
        }
        out.append(contentsOf: #","skipped":["#.utf8)
        for (index, entry) in skipped.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"reason":"#.utf8)
            FlatJSON.appendString(entry.reason, to: &out)
            out.append(contentsOf: #","recipient":"#.utf8)
            FlatJSON.appendString(entry.recipient, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"]},"message":"#.utf8)
        FlatJSON.appendString(message, to: &out)
        out.append(contentsOf: #","status":"success"}"#.utf8)
        return Response(
            status: .accepted, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    private static func append(optional text: String?, to out: inout [UInt8]) {
        if let text { FlatJSON.appendString(text, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }
}
