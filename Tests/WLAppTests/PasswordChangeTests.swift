import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLServices

/// A signed-in user changes their own password, through the management API and the console page.
@Suite struct PasswordChangeTests {
    static let newPassword = "a-longer-new-passphrase"

    @Test func theAPIChangesThePasswordGivenTheCurrentOneAndEndsEveryOtherSession() async throws {
        let app = try await ConsoleAPITests.app()
        try await app.test { client in
            let token = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let other = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let browser = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let wrong = try await client.manage(
                .post, "/me/password", token: token, json: ["current_password": "not-the-password", "new_password": Self.newPassword])
            #expect(wrong.status == .unprocessableContent && wrong.json["code"] as? String == "validation_failed")
            #expect(wrong.json.errors["current_password"] == ["not your current password"])
            let short = try await client.manage(
                .post, "/me/password", token: token, json: ["current_password": ConsoleAccounts.sandboxPassword, "new_password": "short"])
            #expect(short.status == .unprocessableContent && short.json.errors["new_password"] == ["at least 12 bytes"])
            let same = try await client.manage(
                .post, "/me/password", token: token,
                json: ["current_password": ConsoleAccounts.sandboxPassword, "new_password": ConsoleAccounts.sandboxPassword])
            #expect(same.status == .unprocessableContent && same.json.errors["new_password"] == ["choose a new password"])
            // None of the refusals changed anything: the other sessions still work.
            #expect(try await client.manage(.get, "/me", token: other).status == .ok)
            let changed = try await client.manage(
                .post, "/me/password", token: token, json: ["current_password": ConsoleAccounts.sandboxPassword, "new_password": Self.newPassword])
            #expect(changed.status == .ok && changed.json["message"] as? String == "Password changed.")
            #expect(changed.json.data["other_sessions_ended"] as? Int == 2)
            #expect(try await client.manage(.get, "/me", token: token).status == .ok)
            let ended = try await client.manage(.get, "/me", token: other)
            #expect(ended.status == .unauthorized && ended.json["code"] as? String == "unauthenticated")
            #expect(try await client.pageStatus("/console/integration", cookie: browser) == .seeOther)
            let old = try await client.signInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            #expect(old.status == .unauthorized && old.code == "unauthenticated")
            #expect(try await client.signInResponse(ConsoleAccounts.sandboxEmail, Self.newPassword).status == .created)
            let actions = try await app.admin { admin, store in
                try await store.auditLog(firmID: try await admin.firm("sandbox").id, limit: 20, startingAfter: nil).map(\.action)
            }
            #expect(actions.filter { $0 == "user.password_change_failed" }.count == 1)
            #expect(actions.filter { $0 == "user.password_change" }.count == 1)
        }
    }

    @Test func theConsolePageChangesThePasswordWithTheCSRFToken() async throws {
        try await ConsoleAPITests.app().test { client in
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let page = try await client.execute(uri: "/console/password", method: .get, headers: [.cookie: cookie]) { $0 }
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(#"name="current_password""#) && html.contains(#"id="change-password""#))
            let csrf = try #require(html.firstMatch(of: /name="_csrf" value="([^"]+)"/)).1
            func post(_ fields: [(String, String)]) async throws -> TestResponse {
                try await client.execute(
                    uri: "/console/password", method: .post,
                    headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: FormEncoding.encode(fields))
                ) { $0 }
            }
            let fields = [
                ("current_password", ConsoleAccounts.sandboxPassword), ("new_password", Self.newPassword),
                ("new_password_confirm", Self.newPassword),
            ]
            #expect(try await post(fields).status == .forbidden)
            let differ = try await post([("_csrf", String(csrf))] + fields.dropLast() + [("new_password_confirm", "something-else-1")])
            #expect(differ.status == .unprocessableContent && String(buffer: differ.body).contains("The two new passwords differ."))
            let changed = try await post([("_csrf", String(csrf))] + fields)
            #expect(changed.status == .seeOther && changed.headers[.location] == "/console/password?done=password-changed")
            let after = try await client.execute(uri: "/console/password?done=password-changed", method: .get, headers: [.cookie: cookie]) { $0 }
            #expect(String(buffer: after.body).contains("Password changed. Every other session of yours has ended."))
            #expect(try await client.signInResponse(ConsoleAccounts.sandboxEmail, Self.newPassword).status == .created)
        }
    }

    @Test func wrongCurrentPasswordsLockTheAccountAsFailedSignInsDo() async throws {
        try await ConsoleAPITests.app().test { client in
            let token = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            for attempt in 1...6 {
                let wrong = try await client.manage(
                    .post, "/me/password", token: token, json: ["current_password": "guess-number-\(attempt)", "new_password": Self.newPassword])
                #expect(wrong.status == .unprocessableContent && wrong.json.errors["current_password"] != nil, "attempt \(attempt)")
            }
            // Locked now: the right current password changes nothing, and sign-in is locked too.
            let locked = try await client.manage(
                .post, "/me/password", token: token, json: ["current_password": ConsoleAccounts.sandboxPassword, "new_password": Self.newPassword])
            #expect(locked.status == .tooManyRequests && locked.json["code"] as? String == "account_locked")
            let signIn = try await client.signInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            #expect(signIn.status == .tooManyRequests && signIn.code == "account_locked" && signIn.retryAfter == "30")
        }
    }

    @Test func aCookieSessionMustSendItsCSRFTokenToChangeThePasswordThroughTheAPI() async throws {
        try await ConsoleAPITests.app().test { client in
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let body = #"{"current_password": "\#(ConsoleAccounts.sandboxPassword)", "new_password": "\#(Self.newPassword)"}"#
            let refused = try await client.execute(
                uri: ConsoleAPITests.manage + "/me/password", method: .post, headers: [.cookie: cookie, .contentType: "application/json"],
                body: ByteBuffer(string: body)
            ) { $0 }
            #expect(refused.status == .forbidden && refused.errorCode == "csrf_failed")
            #expect(try await client.signInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword).status == .created)
        }
    }
}
