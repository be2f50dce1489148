import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

extension TestClientProtocol {
    /// Calls the API with the sandbox key (or `key`) and a JSON body, and returns the status and parsed JSON.
    func api(
        _ method: HTTPRequest.Method, _ path: String, json: Any? = nil, raw: String? = nil, key: String = sandboxKey
    ) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        let body = try raw.map { ByteBuffer(string: $0) } ?? json.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        return try await execute(
            uri: base + path, method: method, headers: [.init("X-API-Key")!: key, .contentType: "application/json"], body: body
        ) { response in
            (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
        }
    }

    /// Polls `GET path` (10 ms apart; background services are at work) until `done` holds for its `data`, failing
    /// after `attempts` polls.
    func poll(
        _ path: String, key: String = sandboxKey, attempts: Int = 500, until done: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        for _ in 0..<attempts {
            let data = try await api(.get, path, key: key).json.data
            if done(data) { return data }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("GET \(path) never got there")
        return [:]
    }

    /// Polls `GET /sms/{id}` until the message is delivered or failed.
    func finalSMS(_ id: Int64, key: String = sandboxKey) async throws -> [String: Any] {
        try await poll("/sms/\(id)", key: key, until: isFinal)
    }

    /// Polls `GET /email/{id}` until the email is delivered or failed.
    func finalEmail(_ id: Int, key: String = sandboxKey) async throws -> [String: Any] {
        try await poll("/email/\(id)", key: key, until: isFinal)
    }

    /// Polls `GET /sms-credits/purchase/{id}` until the payment leaves Pending (the reconciler settles it).
    func settledPayment(_ id: Int) async throws -> [String: Any] {
        try await poll("/sms-credits/purchase/\(id)") { $0["payment_status"] as? String != "Pending" }
    }
}

/// A message's `data` in a final status.
private func isFinal(_ data: [String: Any]) -> Bool {
    ["delivered", "failed"].contains(data["status"] as? String ?? "")
}

extension Dictionary where Key == String, Value == Any {
    /// `data` of a success envelope.
    var data: [String: Any] { self["data"] as? [String: Any] ?? [:] }
    /// `errors` of an error envelope.
    var errors: [String: [String]] { self["errors"] as? [String: [String]] ?? [:] }
}
