import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import WLDomain
import WLServices

extension ConsoleAPITests {
    @Test func aFirmHasAtMostFiftyUsersInvitationsIncludedAndRemovingOneMakesRoom() async throws {
        try await Self.app().test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let before = try #require(try await client.manage(.get, "/firm/users", token: owner).json.data["users"] as? [[String: Any]]).count
            var last = 0
            for index in before..<ConsoleAccounts.maximumUsersPerFirm {
                let invited = try await client.manage(
                    .post, "/firm/users", token: owner, json: ["email": "u\(index)@sandbox.test", "role": "developer"])
                #expect(invited.status == .created)
                last = try #require(invited.json.data["id"] as? Int)
            }
            let users = try #require(try await client.manage(.get, "/firm/users", token: owner).json.data["users"] as? [[String: Any]])
            #expect(users.count == ConsoleAccounts.maximumUsersPerFirm)
            let refused = try await client.manage(.post, "/firm/users", token: owner, json: ["email": "one-more@sandbox.test", "role": "developer"])
            #expect(refused.status == .conflict && refused.json["code"] as? String == "conflict")
            #expect(try await client.manage(.delete, "/firm/users/\(last)", token: owner).status == .ok)
            let room = try await client.manage(.post, "/firm/users", token: owner, json: ["email": "one-more@sandbox.test", "role": "developer"])
            #expect(room.status == .created)
        }
    }

    @Test func anOwnerChangesAnotherUsersRoleWhichAppliesAtTheirNextRequestButNotTheirOwn() async throws {
        let app = try await Self.app()
        try await app.test { client in
            let developerID = try await app.sandboxDeveloper()
            let (acmeID, acmeOwnerID) = try await app.acmeWithOwner()
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let developer = try await client.signIn("dev@sandbox.test", "developer-pass-1")
            let ownerID = try #require(try await client.manage(.get, "/me", token: owner).json.data["id"] as? Int)
            let byDeveloper = try await client.manage(.patch, "/firm/users/\(ownerID)", token: developer, json: ["role": "developer"])
            #expect(byDeveloper.status == .forbidden && byDeveloper.json["code"] as? String == "forbidden")
            let ownRole = try await client.manage(.patch, "/firm/users/\(ownerID)", token: owner, json: ["role": "developer"])
            #expect(ownRole.status == .conflict && ownRole.json["code"] as? String == "conflict")
            let toAdmin = try await client.manage(.patch, "/firm/users/\(developerID)", token: owner, json: ["role": "admin"])
            #expect(toAdmin.status == .unprocessableContent && toAdmin.json["code"] as? String == "validation_failed")
            let outsider = try await client.manage(.patch, "/firm/users/\(acmeOwnerID)", token: owner, json: ["role": "developer"])
            #expect(outsider.status == .notFound && outsider.json["code"] as? String == "not_found")
            // The developer may not invite; promoted, the same session may at its next request.
            let invite = ["email": "new@sandbox.test", "role": "developer"]
            let refused = try await client.manage(.post, "/firm/users", token: developer, json: invite)
            #expect(refused.status == .forbidden && refused.json["code"] as? String == "forbidden")
            let promoted = try await client.manage(.patch, "/firm/users/\(developerID)", token: owner, json: ["role": "owner"])
            #expect(promoted.status == .ok && promoted.json.data["role"] as? String == "owner")
            #expect(try await client.manage(.get, "/me", token: developer).json.data["role"] as? String == "owner")
            #expect(try await client.manage(.post, "/firm/users", token: developer, json: invite).status == .created)
            // The same role again changes nothing and writes no audit line.
            #expect(try await client.manage(.patch, "/firm/users/\(developerID)", token: owner, json: ["role": "owner"]).status == .ok)
            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            // A suspended firm's owner may still take access away (demote), but not give it (promote).
            let sandboxID = try #require(try await client.manage(.get, "/firm", token: owner).json.data["id"] as? Int)
            #expect(try await client.manage(.patch, "/admin/firms/\(sandboxID)", token: admin, json: ["status": "suspended"]).status == .ok)
            let demotedWhileSuspended = try await client.manage(.patch, "/firm/users/\(developerID)", token: owner, json: ["role": "developer"])
            #expect(demotedWhileSuspended.status == .ok && demotedWhileSuspended.json.data["role"] as? String == "developer")
            let promotedWhileSuspended = try await client.manage(.patch, "/firm/users/\(developerID)", token: owner, json: ["role": "owner"])
            #expect(promotedWhileSuspended.status == .forbidden && promotedWhileSuspended.json["code"] as? String == "account_suspended")
            let demoted = try await client.manage(.patch, "/admin/firms/\(acmeID)/users/\(acmeOwnerID)", token: admin, json: ["role": "developer"])
            #expect(demoted.status == .ok && demoted.json.data["role"] as? String == "developer")
            let audit = try await client.manage(.get, "/admin/audit", token: admin).json.data["entries"] as? [[String: Any]] ?? []
            #expect(
                audit.filter { $0["action"] as? String == "user.role" }.map { "\($0["actor"] ?? "") \($0["detail"] ?? "")" } == [
                    "\(Self.adminEmail) owner@acme.test (owner → developer)", "\(ConsoleAccounts.sandboxEmail) dev@sandbox.test (owner → developer)",
                    "\(ConsoleAccounts.sandboxEmail) dev@sandbox.test (developer → owner)",
                ])
        }
    }

    @Test func signingOutEverywhereEndsEverySessionOfTheUserAndNoOneElses() async throws {
        let app = try await Self.app()
        try await app.test { client in
            let first = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let second = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            let ended = try await client.manage(.delete, "/sessions", token: first)
            #expect(ended.status == .ok && ended.json.data["sessions_ended"] as? Int == 2)
            for token in [first, second] {
                let refused = try await client.manage(.get, "/me", token: token)
                #expect(refused.status == .unauthorized && refused.json["code"] as? String == "unauthenticated")
            }
            #expect(try await client.manage(.get, "/me", token: admin).status == .ok)
            let audit = try await client.manage(.get, "/admin/audit", token: admin).json.data["entries"] as? [[String: Any]] ?? []
            #expect(
                audit.filter { $0["action"] as? String == "user.sign_out_everywhere" }.map { "\($0["detail"] ?? "")" } == [
                    "\(ConsoleAccounts.sandboxEmail): 2 session(s)"
                ])
        }
    }

    @Test func theUsersPageChangesARoleAndTheHeaderSignsOutEverywhereWithTheCSRFToken() async throws {
        let app = try await Self.app()
        try await app.test { client in
            let developerID = try await app.sandboxDeveloper()
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let bearer = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let page = try await client.execute(uri: "/console/users", method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
            #expect(page.contains("id=\"role-user-\(developerID)\"") && page.contains("Make owner"))
            #expect(page.contains("formaction=\"/console/sign-out-everywhere\""))
            let csrf = String(try #require(page.firstMatch(of: /name="_csrf" value="([^"]+)"/)?.1))
            func post(_ path: String, _ fields: [(String, String)]) async throws -> TestResponse {
                try await client.execute(
                    uri: path, method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: FormEncoding.encode(fields))
                ) { $0 }
            }
            #expect(try await post("/console/users/\(developerID)/role", [("role", "owner")]).status == .forbidden)
            let changed = try await post("/console/users/\(developerID)/role", [("_csrf", csrf), ("role", "owner")])
            #expect(changed.status == .seeOther && changed.headers[.location] == "/console/users?done=role-changed")
            let after = try await client.execute(uri: "/console/users?done=role-changed", method: .get, headers: [.cookie: cookie]) {
                String(buffer: $0.body)
            }
            #expect(after.contains("Role changed.") && after.contains("Make developer"))
            #expect(try await post("/console/sign-out-everywhere", []).status == .forbidden)
            let signedOut = try await post("/console/sign-out-everywhere", [("_csrf", csrf)])
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/console/sign-in")
            #expect(try await client.manage(.get, "/me", token: bearer).status == .unauthorized)
            #expect(try await client.pageStatus("/console/users", cookie: cookie) == .seeOther)
        }
    }
}
