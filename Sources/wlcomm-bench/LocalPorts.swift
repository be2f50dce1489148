import AsyncHTTPClient
import Foundation
import NIOCore

/// True when something listens on TCP `port` of this machine, read from `/proc/net/tcp` and `/proc/net/tcp6`
/// (without connecting, which a box like Kannel's fake SMSC port would take for a client).
func portAnswers(_ port: Int) -> Bool {
    let wanted = ":" + String(format: "%04X", port)
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // Fields: slot, local address:port, remote address:port, state (0A is LISTEN), …
            if fields.count > 3, fields[1].hasSuffix(wanted), fields[3] == "0A" { return true }
        }
    }
    return false
}

/// The body of a local `GET`, whatever its status.
func httpGet(_ url: String) async throws -> String {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
    let body = try await response.body.collect(upTo: 1 << 20)
    return String(buffer: body)
}
