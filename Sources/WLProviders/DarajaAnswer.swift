import AsyncHTTPClient
import Foundation
import NIOCore
import WLDomain
import WLServices

/// Why a Daraja call has no answer.
enum DarajaCallError: Error {
    /// The connection never opened: the request did not go out.
    case notConnected(String)
    /// The request may have gone out, but no answer came (timeout, dropped connection).
    case noAnswer(String)
}

/// A Daraja answer: the status and the JSON object's scalar fields as text (numbers too, so ResultCode reads the same
/// as a number or a string).
struct DarajaAnswer {
    var status: Int
    var fields: [String: String]

    func text(_ key: String) -> String? { fields[key] }

    /// 404.001.03 "Invalid Access Token", or 401 "Invalid Authentication Header".
    var isTokenRejected: Bool { text("errorCode") == "404.001.03" || status == 401 }

    /// For logs and failure reasons: Daraja's error code and message, or the status.
    func describe() -> String {
        if let code = text("errorCode") { return "Daraja \(code): \(text("errorMessage") ?? "")" }
        if let code = text("ResponseCode") { return "Daraja ResponseCode \(code): \(text("ResponseDescription") ?? "")" }
        return "Daraja answered HTTP \(status)"
    }

    static func fetch(
        client: HTTPClient, url: String, body: [String: String], token: String, timeout: TimeInterval
    ) async throws
        -> DarajaAnswer
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])))
        return try await execute(client: client, request, timeout: timeout)
    }

    static func execute(client: HTTPClient, _ request: HTTPClientRequest, timeout: TimeInterval) async throws -> DarajaAnswer {
        do {
            let (response, body) = try await client.executeCollecting(request, timeout: .milliseconds(Int64(timeout * 1000)), limit: 1 << 20)
            return DarajaAnswer(status: Int(response.status.code), fields: Self.fields(Data(body.readableBytesView)))
        } catch let error as HTTPCallTimedOut {
            // The head had come, so the request had reached Daraja.
            throw DarajaCallError.noAnswer("\(error)")
        } catch {
            // A connection that never opened (refused, connect timeout, no such host) names "connect" in its error:
            // nothing was sent. Anything else (a read timeout, a dropped connection) may have reached Daraja.
            let text = "\(error)"
            if text.contains("connect") { throw DarajaCallError.notConnected(text) }
            throw DarajaCallError.noAnswer(text)
        }
    }

    /// The top-level scalars of a JSON object; anything else reads as no fields.
    static func fields(_ data: Data) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var fields: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let text as String: fields[key] = text
            case let number as NSNumber: fields[key] = number.stringValue
            default: break
            }
        }
        return fields
    }
}

/// The OAuth token, fetched with client credentials and kept until about five minutes before it expires.
actor DarajaTokenCache {
    let settings: DarajaSettings
    let client: HTTPClient
    let time: any TimeSource
    private var current: (token: String, refreshAt: Date)?
    private var fetching: Task<(token: String, refreshAt: Date), any Error>?

    init(settings: DarajaSettings, client: HTTPClient, time: any TimeSource) {
        self.settings = settings
        self.client = client
        self.time = time
    }

    /// A valid token: the cached one, or a new one (one fetch at a time, shared by every caller waiting for it). A
    /// caller cancelled while it waits returns at once with `CancellationError`; the fetch goes on for the others.
    func token() async throws -> String {
        if let current, current.refreshAt > time.now { return current.token }
        let task = fetching ?? startFetch()
        return try await task.valueUnlessCancelled().token
    }

    /// Starts the one fetch, which keeps its token when it ends whoever still waits for it.
    private func startFetch() -> Task<(token: String, refreshAt: Date), any Error> {
        let task = Task {
            do {
                let fresh = try await self.fetch()
                self.fetchEnded(.success(fresh))
                return fresh
            } catch {
                self.fetchEnded(.failure(error))
                throw error
            }
        }
        fetching = task
        return task
    }

    private func fetchEnded(_ result: Result<(token: String, refreshAt: Date), any Error>) {
        fetching = nil
        if case .success(let fresh) = result { current = fresh }
    }

    /// Forgets the token Daraja rejected, unless another caller has replaced it already.
    func invalidate(rejected token: String) {
        if current?.token == token { current = nil }
    }

    private func fetch() async throws -> (token: String, refreshAt: Date) {
        var request = HTTPClientRequest(url: settings.baseURL + "/oauth/v1/generate?grant_type=client_credentials")
        let credentials = Data("\(settings.consumerKey):\(settings.consumerSecret)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Accept", value: "application/json")
        let answer: DarajaAnswer
        do {
            answer = try await DarajaAnswer.execute(client: client, request, timeout: settings.timeout)
        } catch {
            // No token, no push: nothing reached M-Pesa.
            throw PushError.refused("Daraja's token endpoint did not answer: \(error)")
        }
        guard answer.status == 200, let token = answer.text("access_token"), !token.isEmpty else {
            throw PushError.refused("Daraja refused the token request: \(answer.describe())")
        }
        // `expires_in` arrives as a string ("3599"); refresh five minutes early (half-way for short lifetimes).
        let lifetime = answer.text("expires_in").flatMap(Double.init) ?? 3599
        let margin = lifetime > 600 ? 300 : lifetime / 2
        return (token, time.now.addingTimeInterval(lifetime - margin))
    }
}
