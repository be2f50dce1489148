import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLServices

/// What one client address may cost the console's password thread, and what an address that failed too often still
/// lets through (docs/console.md, Identity and sessions).
@Suite struct ConsoleSignInLimitTests {
    static func limited(signIns: Int = 1_000, failures: Int = 1_000) -> [AbsoluteConfigKey: ConfigValue] {
        [
            "limits.enabled": true, "limits.signInQuota": .init(.int(signIns), isSecret: false), "limits.signInWindowSeconds": 60,
            "limits.authQuota": .init(.int(failures), isSecret: false), "limits.authWindowSeconds": 60,
        ]
    }

    @Test func everySignInCountsAgainstTheAddressesLimitRightOrWrong() async throws {
        let time = ManualTime()
        try await ConsoleAPITests.app(time: time, settings: Self.limited(signIns: 3)).test { client in
            #expect(try await client.signInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword).status == .created)
            #expect(try await client.signInResponse(ConsoleAccounts.sandboxEmail, "not-the-password").status == .unauthorized)
            #expect(try await client.signInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword).status == .created)
            // The fourth, right or not, is refused before any password is checked.
            let refused = try await client.execute(
                uri: ConsoleAPITests.manage + "/sessions", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email": "\#(ConsoleAccounts.sandboxEmail)", "password": "\#(ConsoleAccounts.sandboxPassword)"}"#)
            ) { $0 }
            #expect(refused.status == .tooManyRequests && refused.errorCode == "rate_limited")
            let message = refused.field("message") ?? ""
            #expect(message.hasPrefix("Too many password checks (sign-ins, password changes) from this address (3 per 60 s)"))
            #expect(refused.headers[.retryAfter] == "20")
            // The page says so too, and counts the same.
            let refusedPage = try await client.pageSignInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            #expect(refusedPage.status == .tooManyRequests && refusedPage.headers[.retryAfter] == "20")
            #expect(String(buffer: refusedPage.body).contains("Too many password checks from your address. Try again in 20 s."))
            #expect(refusedPage.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("wl_session=") })
            // Three a minute is one every 20 s.
            time.set(time.now.addingTimeInterval(20))
            #expect(try await client.signInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword).status == .created)
        }
    }

    @Test func theSignedInUsersOfAnAddressThatFailedTooOftenStillGetIn() async throws {
        try await ConsoleAPITests.app(settings: Self.limited(failures: 3)).test { client in
            let bearer = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            for _ in 1...3 {
                let guess = try await client.manage(.get, "/me", token: SessionToken.generate().secret)
                #expect(guess.status == .unauthorized && guess.json["code"] as? String == "unauthenticated")
            }
            let blocked = try await client.manage(.get, "/me", token: SessionToken.generate().secret)
            #expect(blocked.status == .tooManyRequests && blocked.json["code"] as? String == "rate_limited")
            // The address is blocked for guesses, not for the sessions already open behind it.
            let me = try await client.manage(.get, "/me", token: bearer)
            #expect(me.status == .ok && me.json.data["email"] as? String == ConsoleAccounts.sandboxEmail)
            #expect(try await client.pageStatus("/console/integration", cookie: cookie) == .ok)
        }
    }

    @Test func anEndedSessionsCookieIsClearedAndIsNotCountedAsAFailure() async throws {
        try await ConsoleAPITests.app(settings: Self.limited(failures: 2)).test { client in
            let ended = "wl_session=\(SessionToken.generate().secret)"
            for _ in 1...5 {
                let response = try await client.execute(uri: "/console/integration", method: .get, headers: [.cookie: ended]) { $0 }
                #expect(response.status == .seeOther && response.headers[.location] == "/console/sign-in")
                let cleared = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("wl_session=") })
                #expect(cleared.hasPrefix("wl_session=;") && cleared.contains("Expires=Thu, 01 Jan 1970"))
            }
            // Five ended cookies later, the address has not failed once.
            let guess = try await client.manage(.get, "/me", token: SessionToken.generate().secret)
            #expect(guess.status == .unauthorized && guess.json["code"] as? String == "unauthenticated")
        }
    }
}
