import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import WLDomain

/// Our own fake of Africa's Talking's messaging endpoint, from its public documentation: form-encoded
/// `POST /version1/messaging` with `apiKey`, answering 201 with per-recipient status codes (JSON only with
/// `Accept: application/json`), plain-text errors otherwise.
final class FakeAfricasTalking: Sendable {
    struct Call: Sendable {
        var headers: [String: String]
        var form: [String: String]
    }

    let calls = Mutex<[Call]>([])
    /// A whole-call answer to give instead of the normal one: status, body, headers.
    let override = Mutex<(Int, String, [String: String])?>(nil)
    /// Seconds to wait before answering.
    let delay = Mutex<Double>(0)
    /// While true, calls wait unanswered (a test releases them once it has its outcome).
    let held = Mutex(false)
    /// Answers 201 at once, then never completes the body (``ResponseBody/trickle``).
    let trickle = Mutex(false)

    /// Per-number status codes; anything else is accepted (101).
    static let codes: [String: (Int, String)] = [
        "+254700000403": (403, "InvalidPhoneNumber"), "+254700000406": (406, "UserInBlacklist"),
        "+254700000500": (500, "InternalServerError"), "+254700000502": (502, "RejectedByGateway"),
    ]

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("version1/messaging") { request, _ -> Response in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let form = FormEncoding.decode(body)
            self.calls.withLock { $0.append(Call(headers: headers, form: form)) }
            let wait = self.delay.withLock { $0 }
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            while self.held.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            if self.trickle.withLock({ $0 }) { return Response(status: .created, headers: [.contentType: "application/json"], body: .trickle) }
            if let (status, text, extra) = self.override.withLock({ $0 }) {
                var fields = HTTPFields()
                for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
                fields[.contentType] = text.hasPrefix("{") ? "application/json" : "text/plain"
                return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
            guard headers["apikey"] == "test-key", form["username"] == "tester" else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "The supplied authentication is invalid")))
            }
            let recipients = (form["to"] ?? "").split(separator: ",").enumerated().map { index, number in
                let (code, status) = Self.codes[String(number)] ?? (101, "Success")
                return
                    #"{"statusCode":\#(code),"number":"\#(number)","status":"\#(status)","cost":"KES 0.8000","messageId":"\#(code == 101 ? "ATXid_\(index)" : "None")"}"#
            }
            let json = #"{"SMSMessageData":{"Message":"Sent to \#(recipients.count)","Recipients":[\#(recipients.joined(separator: ","))]}}"#
            return Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        return router
    }

    /// Runs the fake on a real local port for the duration of `body`.
    func run(_ body: @Sendable (_ baseURL: String) async throws -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }
}
