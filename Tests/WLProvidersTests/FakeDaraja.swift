import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization

/// Our own fake of Daraja from its public documentation: the OAuth token (Basic auth, `expires_in` a string), STK push
/// (JSON, Password = base64(shortcode + passkey + timestamp), bearer token, 404.001.03 for an unknown token) and the
/// STK query. Tests queue whole answers to give instead of the normal ones.
final class FakeDaraja: Sendable {
    static let shortcode = "174379"
    static let passkey = "test-passkey"

    struct Call: Sendable {
        var path: String
        var body: [String: String]
        var status: Int
    }

    let calls = Mutex<[Call]>([])
    let tokenRequests = Mutex(0)
    let validTokens = Mutex<Set<String>>([])
    /// Answers (status, JSON) to give, in order, instead of the normal ones, per path suffix (`processrequest`, `query`).
    let scripted = Mutex<[String: [(Int, String)]]>([:])
    /// Seconds to wait before answering a push.
    let pushDelay = Mutex<Double>(0)
    /// Answers a push 200 at once, then never completes the body (``ResponseBody/trickle``).
    let pushTrickles = Mutex(false)
    /// While true, token requests wait (checked every 5 ms) before they are answered.
    let tokenHeld = Mutex(false)
    /// Token requests that have arrived, answered or not.
    let tokenArrivals = Mutex(0)

    func script(_ path: String, _ answers: [(Int, String)]) { scripted.withLock { $0[path, default: []] += answers } }

    func pushes() -> [Call] { calls.withLock { $0.filter { $0.path.hasSuffix("processrequest") } } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("oauth/v1/generate") { request, _ -> Response in
            self.tokenArrivals.withLock { $0 += 1 }
            while self.tokenHeld.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            let expected = "Basic " + Data("key:secret".utf8).base64EncodedString()
            guard request.headers[.authorization] == expected, request.uri.queryParameters["grant_type"] == "client_credentials" else {
                return Self.json(400, #"{"errorCode":"400.008.01","errorMessage":"Invalid Authentication passed"}"#)
            }
            let token =
                "tok"
                + String(
                    self.tokenRequests.withLock {
                        $0 += 1
                        return $0
                    })
            self.validTokens.withLock { _ = $0.insert(token) }
            return Self.json(200, #"{"access_token":"\#(token)","expires_in":"3599"}"#)
        }
        for path in ["mpesa/stkpush/v1/processrequest", "mpesa/stkpushquery/v1/query"] {
            router.post(RouterPath(path)) { request, _ -> Response in
                var request = request
                let data = Data(buffer: try await request.collectBody(upTo: 1 << 20))
                let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
                let body = object.mapValues { "\($0)" }
                let name = String(path.split(separator: "/").last!)
                let answer = self.answer(name, request.headers[.authorization], body)
                self.calls.withLock { $0.append(Call(path: path, body: body, status: answer.0)) }
                if name == "processrequest" {
                    let wait = self.pushDelay.withLock { $0 }
                    if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                    if self.pushTrickles.withLock({ $0 }) {
                        return Response(status: .ok, headers: [.contentType: "application/json"], body: .trickle)
                    }
                }
                return Self.json(answer.0, answer.1)
            }
        }
        return router
    }

    private func answer(_ name: String, _ authorization: String?, _ body: [String: String]) -> (Int, String) {
        guard let token = authorization?.split(separator: " ").last.map(String.init), validTokens.withLock({ $0.contains(token) }) else {
            return (404, #"{"requestId":"r","errorCode":"404.001.03","errorMessage":"Invalid Access Token"}"#)
        }
        if let scripted = scripted.withLock({ $0[name]?.isEmpty == false ? $0[name]!.removeFirst() : nil }) { return scripted }
        let stamp = body["Timestamp"] ?? ""
        guard body["Password"] == Data((Self.shortcode + Self.passkey + stamp).utf8).base64EncodedString() else {
            return (500, #"{"requestId":"r","errorCode":"500.001.1001","errorMessage":"[MerchantValidate] - Wrong credentials"}"#)
        }
        if name == "query" {
            return (200, #"{"ResponseCode":"0","CheckoutRequestID":"\#(body["CheckoutRequestID"] ?? "")","ResultCode":"0","ResultDesc":"ok"}"#)
        }
        let count = pushes().count + 1
        return (200, #"{"MerchantRequestID":"m-\#(count)","CheckoutRequestID":"ws_CO_\#(count)","ResponseCode":"0","ResponseDescription":"Success"}"#)
    }

    static func json(_ status: Int, _ text: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs the fake on a real local port for the duration of `body`.
    func run(_ body: @Sendable (_ baseURL: String) async throws -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }
}
