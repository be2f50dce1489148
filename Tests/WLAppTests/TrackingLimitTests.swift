import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain

/// The unauthenticated tracking endpoints: one count per email and kind a minute, and a limit per client address
/// over which hits are answered but not counted.
@Suite struct TrackingLimitTests {
    /// An email with one link, delivered, and the tokens of its pixel and link.
    func trackedEmail(_ app: TestApp, _ client: any TestClientProtocol) async throws -> (id: Int, open: String, click: String) {
        let sent = try await client.api(
            .post, "/email", json: ["subject": "S", "message": #"<a href="https://pay.example/x">Pay</a>"#, "recipients": ["jane@example.com"]])
        let id = try #require((sent.json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
        _ = try await client.finalEmail(id)
        let secret = try await app.admin { _, store in try await store.serviceSecret("tracking", candidate: "unused", now: .now) }
        let signer = TrackingSigner(secret: secret)
        return (id, signer.token(for: .open(messageID: Int64(id))), signer.token(for: .click(messageID: Int64(id), url: "https://pay.example/x")))
    }

    /// Loads the pixel and expects the GIF.
    func loadPixel(_ client: any TestClientProtocol, _ token: String) async throws {
        try await client.execute(uri: "/t/o/\(token).gif", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/gif")
            #expect(response.body.readableBytes == 43)
        }
    }

    /// Follows the link and expects the redirect to it.
    func follow(_ client: any TestClientProtocol, _ token: String) async throws {
        try await client.execute(uri: "/t/c/\(token)", method: .get) { response in
            #expect(response.status == .found)
            #expect(response.headers[.location] == "https://pay.example/x")
        }
    }

    /// The email's `opens` and `clicks`.
    func counts(_ client: any TestClientProtocol, _ id: Int) async throws -> (opens: Int?, clicks: Int?) {
        let email = try await client.api(.get, "/email/\(id)").json.data
        return (email["opens"] as? Int, email["clicks"] as? Int)
    }

    @Test func aPixelReloadedAThousandTimesInAMinuteCountsOneOpen() async throws {
        let app = TestApp()
        try await app.test { client in
            let email = try await trackedEmail(app, client)
            let start = app.time.now
            for _ in 0..<1_000 { try await loadPixel(client, email.open) }
            for _ in 0..<3 { try await follow(client, email.click) }
            #expect(try await counts(client, email.id) == (1, 1))
            app.time.set(start.addingTimeInterval(61))
            try await loadPixel(client, email.open)
            try await loadPixel(client, email.open)
            #expect(try await counts(client, email.id) == (2, 1))
            let events = try await app.admin { _, store in try await store.events(firmID: 1, messageID: Int64(email.id)).map(\.event) }
            let engagement = events.filter { $0.hasSuffix(".opened") || $0.hasSuffix(".clicked") }
            #expect(engagement == ["communication.email.opened", "communication.email.clicked"])
        }
    }

    @Test(arguments: TestEngine.available)
    func overTheAddressLimitThePixelAndRedirectStillAnswerButCountNothing(engine: TestEngine) async throws {
        let limited: [AbsoluteConfigKey: ConfigValue] = ["limits.enabled": true, "limits.trackingQuota": 2, "limits.trackingWindowSeconds": 3_600]
        let app = try await TestApp(engine: engine).with(limited)
        try await app.test { client in
            let email = try await trackedEmail(app, client)
            // Bad tokens are refused before the limit and use none of it.
            let forged = TrackingSigner(secret: "guess").token(for: .open(messageID: Int64(email.id)))
            for _ in 0..<3 {
                try await client.execute(uri: "/t/o/\(forged).gif", method: .get) { response in #expect(response.status == .notFound) }
            }
            try await loadPixel(client, email.open)
            try await follow(client, email.click)
            #expect(try await counts(client, email.id) == (1, 1))
            // A minute later both would count again, but the address has used its 2 hits of the hour.
            app.time.set(app.time.now.addingTimeInterval(61))
            try await loadPixel(client, email.open)
            try await follow(client, email.click)
            #expect(try await counts(client, email.id) == (1, 1))
        }
    }
}
