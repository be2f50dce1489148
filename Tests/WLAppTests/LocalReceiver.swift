import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization

/// A webhook receiver on a real local port: records every POST (headers and raw body) and answers `status`, with a
/// `Location` of `/followed` on this receiver when `status` is a redirect; requests there are counted in `followed`.
final class LocalReceiver: Sendable {
    struct Received: Sendable {
        var headers: [String: String]
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
    }

    let received = Mutex<[Received]>([])
    let status = Mutex<Int>(200)
    let followed = Mutex(0)

    /// Runs the receiver for the duration of `body`, which gets its URL.
    func run(_ body: @Sendable (_ url: String) async throws -> Void) async throws {
        let router = Router()
        router.post("hooks") { request, _ -> Response in
            var request = request
            let bytes = Array(buffer: try await request.collectBody(upTo: 1 << 20))
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            self.received.withLock { $0.append(Received(headers: headers, body: bytes)) }
            let status = self.status.withLock { $0 }
            return Response(status: .init(code: status), headers: (300..<400).contains(status) ? [.location: "/followed"] : [:])
        }
        for method in [HTTPRequest.Method.get, .post] {
            router.on("followed", method: method) { _, _ -> HTTPResponse.Status in
                self.followed.withLock { $0 += 1 }
                return .ok
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)/hooks") }
    }

    /// Waits (polling, bounded) until `count` requests have arrived.
    func waitFor(_ count: Int) async throws {
        for _ in 0..<1_000 where received.withLock({ $0.count }) < count {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
