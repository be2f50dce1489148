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

    /// Polls `GET /sms/{id}` until the message reaches a final status (the dispatcher runs in the background),
    /// failing after `attempts` polls.
    func finalSMS(_ id: Int64, key: String = sandboxKey, attempts: Int = 500) async throws -> [String: Any] {
        for _ in 0..<attempts {
            let (_, json) = try await api(.get, "/sms/\(id)", key: key)
            let data = try #require(json["data"] as? [String: Any])
            if let status = data["status"] as? String, status == "delivered" || status == "failed" { return data }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("message \(id) did not reach a final status")
        return [:]
    }
}

extension Dictionary where Key == String, Value == Any {
    /// `data` of a success envelope.
    var data: [String: Any] { self["data"] as? [String: Any] ?? [:] }
    /// `errors` of an error envelope.
    var errors: [String: [String]] { self["errors"] as? [String: [String]] ?? [:] }
}
