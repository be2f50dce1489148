import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import WLApp
import WLDomain
import WLPorts
import WLServices

@testable import WLStore

/// The management API under /api/v1/manage: sign-in, tenancy, roles, lockout, CSRF and the audit log.
@Suite struct ConsoleAPITests {
    static let manage = "/api/v1/manage"
    static let adminEmail = "admin@worldledgers.test"
    static let adminPassword = "admin-password-12"

    /// An app with cheap bcrypt, an admin user, and (through the seed) the sandbox firm's owner.
    static func app(time: ManualTime = ManualTime(), settings: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> TestApp {
        let app = TestApp(time: time).with(settings.merging(["console.bcryptCost": 4]) { $1 })
        _ = try await app.admin { _, store in
            try await store.migrate()
            return try await ConsoleAccounts(store: store, time: time, settings: ConsoleSettings(bcryptCost: 4), logger: Logger(label: "test"))
                .createUser(email: adminEmail, password: adminPassword, role: .admin, firmID: nil, origin: .commandLine)
        }
        return app
    }

    @Test func anOwnerSignsInMakesAKeyThatWorksOnThePublicAPIAndRevokesIt() async throws {
        try await Self.app().test { client in
            let token = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let me = try await client.manage(.get, "/me", token: token)
            #expect(
                me.status == .ok && me.json.data["role"] as? String == "owner" && me.json.data["email"] as? String == ConsoleAccounts.sandboxEmail)
            let created = try await client.manage(.post, "/firm/api-keys", token: token, json: ["label": "billing"])
            #expect(created.status == .created)
            let key = try #require(created.json.data["key"] as? String)
            #expect(key.hasPrefix("wl_test_") && created.json.data["label"] as? String == "billing")
            #expect(try await client.api(.get, "/sms-credits/balance", key: key).status == .ok)
            let listed = try await client.manage(.get, "/firm/api-keys", token: token).json.data["api_keys"] as? [[String: Any]] ?? []
            #expect(listed.count == 2 && listed.allSatisfy { $0["key"] == nil })
            let id = try #require(created.json.data["id"] as? Int)
            let revoked = try await client.manage(.delete, "/firm/api-keys/\(id)", token: token)
            #expect(revoked.status == .ok && revoked.json.data["revoked_at"] is String)
            #expect(try await client.api(.get, "/sms-credits/balance", key: key).status == .unauthorized)
            let signedOut = try await client.manage(.delete, "/sessions/current", token: token)
            #expect(signedOut.status == .ok)
            let after = try await client.manage(.get, "/me", token: token)
            #expect(after.status == .unauthorized && after.json["code"] as? String == "unauthenticated")
        }
    }

    @Test func aFirmHasAtMost20ActiveKeysAndRevokingOneMakesRoom() async throws {
        try await Self.app().test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            // The sandbox key is the first of the 20.
            var ids: [Int] = []
            for index in 1..<20 {
                let created = try await client.manage(.post, "/firm/api-keys", token: owner, json: ["label": "k\(index)"])
                #expect(created.status == .created)
                ids.append(created.json.data["id"] as? Int ?? 0)
            }
            let refused = try await client.manage(.post, "/firm/api-keys", token: owner, json: ["label": "one too many"])
            #expect(refused.status == .conflict && refused.json["code"] as? String == "conflict")
            #expect(refused.json["message"] as? String == "A firm may have at most 20 active API keys; revoke one it no longer uses first.")
            #expect(try await client.manage(.delete, "/firm/api-keys/\(ids[0])", token: owner).status == .ok)
            #expect(try await client.manage(.post, "/firm/api-keys", token: owner, json: ["label": "again"]).status == .created)
        }
    }

    @Test func aKeyRevokedOrAFirmSuspendedHereIsRefusedAtOnceThoughAuthenticationsAreKeptAMinute() async throws {
        try await Self.app().with(["auth.cacheMilliseconds": 60_000]).test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let created = try await client.manage(.post, "/firm/api-keys", token: owner, json: ["label": "short-lived"])
            // Answers that carry a key, or anything else, are never kept by a cache.
            try await client.execute(
                uri: Self.manage + "/firm/api-keys", method: .post, headers: [.authorization: "Bearer \(owner)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"label": "cached?"}"#)
            ) { response in
                #expect(response.status == .created && response.headers[.cacheControl] == "no-store")
            }
            let key = try #require(created.json.data["key"] as? String)
            let id = try #require(created.json.data["id"] as? Int)
            let invited = try await client.manage(.post, "/firm/users", token: owner, json: ["email": "dev@sandbox.test", "role": "developer"])
            let developerID = try #require(invited.json.data["id"] as? Int)
            // Both keys are now kept by this process's cache.
            #expect(try await client.api(.get, "/sms-credits/balance", key: key).status == .ok)
            #expect(try await client.api(.get, "/sms-credits/balance").status == .ok)
            #expect(try await client.manage(.delete, "/firm/api-keys/\(id)", token: owner).status == .ok)
            let revoked = try await client.api(.get, "/sms-credits/balance", key: key)
            #expect(revoked.status == .unauthorized && revoked.json["code"] as? String == "unauthenticated")

            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            let firms = try await client.manage(.get, "/admin/firms", token: admin).json.data["firms"] as? [[String: Any]] ?? []
            let sandboxID = try #require(firms.first { $0["slug"] as? String == "sandbox" }?["id"] as? Int)
            let suspend = try await client.manage(.patch, "/admin/firms/\(sandboxID)", token: admin, json: ["status": "suspended"])
            #expect(suspend.status == .ok)
            let suspended = try await client.api(.get, "/sms-credits/balance")
            #expect(suspended.status == .forbidden && suspended.json["code"] as? String == "account_suspended")
            // The owner's console session may still read, but not buy credits (a prompt to a phone) or make keys.
            #expect(try await client.manage(.get, "/firm/ledger", token: owner).status == .ok)
            let purchase = try await client.manage(.post, "/firm/purchases", token: owner, json: ["phone": "254700000005", "amount": 100])
            #expect(purchase.status == .forbidden && purchase.json["code"] as? String == "account_suspended")
            let newKey = try await client.manage(.post, "/firm/api-keys", token: owner, json: ["label": "after"])
            #expect(newKey.status == .forbidden && newKey.json["code"] as? String == "account_suspended")
            let invitation = try await client.manage(.post, "/firm/users", token: owner, json: ["email": "x@sandbox.test", "role": "developer"])
            #expect(invitation.status == .forbidden && invitation.json["code"] as? String == "account_suspended")
            // Taking access away still works: a suspended firm can shut out someone who left.
            let keys = try await client.manage(.get, "/firm/api-keys", token: owner).json.data["api_keys"] as? [[String: Any]] ?? []
            let cachedID = try #require(keys.first { $0["label"] as? String == "cached?" }?["id"] as? Int)
            #expect(try await client.manage(.delete, "/firm/api-keys/\(cachedID)", token: owner).status == .ok)
            #expect(try await client.manage(.delete, "/firm/users/\(developerID)", token: owner).status == .ok)
        }
    }

    @Test func firmUsersAndAdminsEachReachOnlyTheirOwnRoutesAndFirm() async throws {
        let app = try await Self.app()
        let acmeKey = try await app.admin { admin, _ in
            let firm = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme Ltd", smsRate: KES(shillings: 2), mode: .sandbox))
            _ = try await admin.adjustCredits(firm: firm.slug, amount: Credits(whole: 10), reason: "trial")
            return try await admin.createKey(firm: firm.slug, label: "acme").key.secret
        }
        try await app.test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            let forbidden = try await client.manage(.get, "/admin/firms", token: owner)
            #expect(forbidden.status == .forbidden && forbidden.json["code"] as? String == "forbidden")
            let noFirm = try await client.manage(.get, "/firm", token: admin)
            #expect(noFirm.status == .forbidden && noFirm.json["code"] as? String == "forbidden")
            let unauthenticated = try await client.manage(.get, "/firm", token: SessionToken.generate().secret)
            #expect(unauthenticated.status == .unauthorized && unauthenticated.json["code"] as? String == "unauthenticated")
            let publicKey = try await client.manage(.get, "/firm", token: sandboxKey)
            #expect(publicKey.status == .unauthorized && publicKey.json["code"] as? String == "unauthenticated")
            let sent = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"]], key: acmeKey)
            let messageID = try #require((sent.json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            #expect(try await client.api(.get, "/sms/\(messageID)", key: acmeKey).status == .ok)
            let hidden = try await client.manage(.get, "/firm/sms/\(messageID)", token: owner)
            #expect(hidden.status == .notFound && hidden.json["code"] as? String == "not_found")
            let acme = try #require(
                (try await client.manage(.get, "/admin/firms", token: admin).json.data["firms"] as? [[String: Any]])?.first {
                    $0["slug"] as? String == "acme"
                })
            #expect(acme["balance"] as? Double != nil)
            _ = try await client.finalSMS(Int64(messageID), key: acmeKey)
            let charged = try await client.manage(.get, "/admin/firms", token: admin).json.data["firms"] as? [[String: Any]]
            #expect(charged?.first { $0["slug"] as? String == "acme" }?["balance"] as? Double == 9)
        }
    }

    @Test func theAdminsRateChangePricesTheNextPurchaseAndEveryChangeIsAudited() async throws {
        try await Self.app().test { client in
            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            let firms = try await client.manage(.get, "/admin/firms", token: admin).json.data["firms"] as? [[String: Any]] ?? []
            let sandboxID = try #require(firms.first { $0["slug"] as? String == "sandbox" }?["id"] as? Int)
            let patched = try await client.manage(
                .patch, "/admin/firms/\(sandboxID)", token: admin,
                json: ["sms_rate": "2.50", "subscription_expires_at": "2027-12-31", "sender_id_transactional": "WLEDGERS"])
            #expect(patched.status == .ok)
            #expect(patched.json.data["sms_rate"] as? Double == 2.5)
            #expect(patched.json.data["subscription_expires_at"] as? String == "2027-12-31T23:59:59+03:00")
            #expect(patched.json.data["sender_id_transactional"] as? String == "WLEDGERS")
            let bad = try await client.manage(.patch, "/admin/firms/\(sandboxID)", token: admin, json: ["sms_rate": "-1", "colour": "red"])
            #expect(bad.status == .unprocessableContent && bad.json["code"] as? String == "validation_failed")
            let null = try await client.manage(.patch, "/admin/firms/\(sandboxID)", token: admin, json: ["sms_rate": NSNull(), "status": NSNull()])
            #expect(null.status == .unprocessableContent && null.json.errors["sms_rate"] == ["cannot be null"])
            #expect(null.json.errors["status"] == ["cannot be null"])
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let purchase = try await client.manage(.post, "/firm/purchases", token: owner, json: ["phone": "254700000005", "amount": 100])
            #expect(purchase.status == .accepted)
            #expect(purchase.json.data["sms_rate"] as? Double == 2.5)
            #expect(purchase.json.data["estimated_credits"] as? Double == 40)
            let audit = try await client.manage(.get, "/admin/audit?limit=100", token: admin).json.data["entries"] as? [[String: Any]] ?? []
            let update = try #require(audit.first { $0["action"] as? String == "firm.update" })
            #expect(update["actor"] as? String == Self.adminEmail && update["actor_role"] as? String == "admin")
            #expect((update["detail"] as? String)?.contains("sms_rate=2.5") == true)
            #expect((update["request_id"] as? String)?.hasPrefix("req_") == true)
            #expect(audit.contains { $0["action"] as? String == "session.sign_in" && $0["actor"] as? String == ConsoleAccounts.sandboxEmail })
            let ownerAudit = try await client.manage(.get, "/admin/audit", token: owner)
            #expect(ownerAudit.status == .forbidden && ownerAudit.json["code"] as? String == "forbidden")
        }
    }

    @Test func theAuditLogKeepsAWebhookURLsHostNotItsPathOrQuery() async throws {
        var app = try await Self.app()
        app.webhooksAllowPrivate = true
        try await app.test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let url = "http://127.0.0.1:9/hooks/tok-123?key=s3cret"
            #expect(try await client.manage(.put, "/firm/webhook", token: owner, json: ["url": url]).status == .ok)
            #expect(try await client.manage(.post, "/firm/webhook/secret", token: owner).status == .created)
            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            let audit = try await client.manage(.get, "/admin/audit?limit=100", token: admin).json.data["entries"] as? [[String: Any]] ?? []
            let details = audit.filter { ($0["action"] as? String)?.hasPrefix("webhook.") == true }.map {
                "\($0["action"] ?? "") \($0["detail"] ?? "")"
            }
            #expect(details.sorted() == ["webhook.secret_rotate http://127.0.0.1:9/…", "webhook.set http://127.0.0.1:9/…"])
        }
    }

    /// Lines written before the audit log kept only a webhook URL's origin are reduced to it; reduced ones stay.
    @Test func anOldAuditLinesWebhookURLIsReducedToItsOriginOnce() {
        #expect(ConsoleActions.reaudited("https://user:pass@hooks.example:8443/t/secret?k=1") == "https://hooks.example:8443/…")
        #expect(ConsoleActions.reaudited("https://hooks.example") == "https://hooks.example")
        for reduced in ["https://hooks.example:8443/…", "https://hooks.example", "(a URL)"] {
            #expect(ConsoleActions.reaudited(reduced) == reduced)
        }
        #expect(ConsoleActions.reaudited("not a url") == "(a URL)")
    }

    @Test func aDeveloperMayNotBuyCredits() async throws {
        let app = try await Self.app()
        try await app.test { client in
            _ = try await app.sandboxDeveloper()
            let developer = try await client.signIn("dev@sandbox.test", "developer-pass-1")
            let refused = try await client.manage(.post, "/firm/purchases", token: developer, json: ["phone": "254700000005", "amount": 100])
            #expect(refused.status == .forbidden && refused.json["code"] as? String == "forbidden")
            #expect(try await client.manage(.get, "/firm/ledger", token: developer).status == .ok)
        }
    }

    @Test func anOwnerInvitesADeveloperWhoChoosesAPasswordOnceAndSignsIn() async throws {
        try await Self.app().test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let invited = try await client.manage(.post, "/firm/users", token: owner, json: ["email": "New.Dev@Sandbox.test", "role": "developer"])
            #expect(invited.status == .created)
            #expect(invited.json.data["email"] as? String == "new.dev@sandbox.test" && invited.json.data["invitation_pending"] as? Bool == true)
            let url = try #require(invited.json.data["invite_url"] as? String)
            let token = String(try #require(url.split(separator: "/").last))
            #expect(try await client.signInResponse("new.dev@sandbox.test", "").status == .unauthorized)
            let short = try await client.manage(.post, "/invitations/accept", token: "-", json: ["token": token, "password": "short"])
            #expect(short.status == .unprocessableContent && short.json.errors["password"] != nil)
            let accepted = try await client.manage(.post, "/invitations/accept", token: "-", json: ["token": token, "password": "developer-pass-2"])
            #expect(accepted.status == .ok && accepted.json.data["role"] as? String == "developer")
            let again = try await client.manage(.post, "/invitations/accept", token: "-", json: ["token": token, "password": "developer-pass-3"])
            #expect(again.status == .notFound && again.json["code"] as? String == "not_found")
            let developer = try await client.signIn("new.dev@sandbox.test", "developer-pass-2")
            let team = try await client.manage(.get, "/firm/users", token: developer).json.data["users"] as? [[String: Any]] ?? []
            #expect(team.map { $0["email"] as? String } == [ConsoleAccounts.sandboxEmail, "new.dev@sandbox.test"])
            #expect(team.allSatisfy { $0["invitation_pending"] as? Bool == false && $0["invite_url"] == nil })
            let byDeveloper = try await client.manage(.post, "/firm/users", token: developer, json: ["email": "x@sandbox.test", "role": "owner"])
            #expect(byDeveloper.status == .forbidden && byDeveloper.json["code"] as? String == "forbidden")
            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            let asAdmin = try await client.manage(.post, "/firm/users", token: admin, json: ["email": "y@sandbox.test", "role": "owner"])
            #expect(asAdmin.status == .forbidden && asAdmin.json["code"] as? String == "forbidden")
        }
    }

    @Test func invitationLinksStartWithTheConfiguredPublicAddressNotTheRequestsHost() async throws {
        try await Self.app(settings: ["console.publicURL": "https://comm.example.co.ke/"]).test { client in
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let invited = try await client.manage(.post, "/firm/users", token: owner, json: ["email": "dev@sandbox.test", "role": "developer"])
            let url = try #require(invited.json.data["invite_url"] as? String)
            #expect(url.hasPrefix("https://comm.example.co.ke/console/invite/") && url.count == 42 + 43)
        }
    }

    @Test(arguments: ["comm.example.co.ke", "https://comm.example.co.ke/?next=1"])
    func aPublicURLThatIsNotAPlainHTTPAddressStopsStartUpNamingTheSetting(value: String) async throws {
        let app = TestApp().with(["console.publicURL": .init(.string(value), isSecret: false)])
        let error = await #expect(throws: StartupError.self) { try await app.test { _ in } }
        #expect(
            error?.description
                == "console.publicURL (WLCOMM_CONSOLE_PUBLIC_URL) \"\(value)\" is not an http:// or https:// URL with a host (and no query or fragment)."
        )
    }

    @Test func anOwnerRemovesAnotherUserWhoseSessionsEndAtOnceButNotThemselvesNorAnotherFirmsUser() async throws {
        let app = try await Self.app()
        try await app.test { client in
            let developerID = try await app.sandboxDeveloper()
            let (acmeID, outsiderID) = try await app.acmeWithOwner()
            let owner = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let developer = try await client.signIn("dev@sandbox.test", "developer-pass-1")
            let ownerID = try #require(try await client.manage(.get, "/me", token: owner).json.data["id"] as? Int)
            let byDeveloper = try await client.manage(.delete, "/firm/users/\(ownerID)", token: developer)
            #expect(byDeveloper.status == .forbidden && byDeveloper.json["code"] as? String == "forbidden")
            let themselves = try await client.manage(.delete, "/firm/users/\(ownerID)", token: owner)
            #expect(themselves.status == .conflict && themselves.json["code"] as? String == "conflict")
            let outsider = try await client.manage(.delete, "/firm/users/\(outsiderID)", token: owner)
            #expect(outsider.status == .notFound && outsider.json["code"] as? String == "not_found")
            let removed = try await client.manage(.delete, "/firm/users/\(developerID)", token: owner)
            #expect(removed.status == .ok && removed.json.data["email"] as? String == "dev@sandbox.test")
            let ended = try await client.manage(.get, "/me", token: developer)
            #expect(ended.status == .unauthorized && ended.json["code"] as? String == "unauthenticated")
            #expect(try await client.signInResponse("dev@sandbox.test", "developer-pass-1").status == .unauthorized)
            let again = try await client.manage(.delete, "/firm/users/\(developerID)", token: owner)
            #expect(again.status == .notFound && again.json["code"] as? String == "not_found")
            let admin = try await client.signIn(Self.adminEmail, Self.adminPassword)
            let wrongFirm = try await client.manage(.delete, "/admin/firms/\(acmeID)/users/\(ownerID)", token: admin)
            #expect(wrongFirm.status == .notFound && wrongFirm.json["code"] as? String == "not_found")
            let byAdmin = try await client.manage(.delete, "/admin/firms/\(acmeID)/users/\(outsiderID)", token: admin)
            #expect(byAdmin.status == .ok && byAdmin.json.data["email"] as? String == "owner@acme.test")
            let audit = try await client.manage(.get, "/admin/audit", token: admin).json.data["entries"] as? [[String: Any]] ?? []
            #expect(
                audit.filter { $0["action"] as? String == "user.remove" }.map { "\($0["actor"] ?? "") \($0["detail"] ?? "")" } == [
                    "\(Self.adminEmail) owner@acme.test (owner)", "\(ConsoleAccounts.sandboxEmail) dev@sandbox.test (developer)",
                ])
        }
    }

    @Test func theUsersPageOffersRemoveOnEveryRowButTheOwnersOwnAndRemovesWithTheCSRFToken() async throws {
        let app = try await Self.app()
        try await app.test { client in
            let developerID = try await app.sandboxDeveloper()
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let page = try await client.execute(uri: "/console/users", method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
            #expect(page.contains("action=\"/console/users/\(developerID)/remove\""))
            #expect(page.components(separatedBy: "class=\"remove-user").count == 2)
            let csrf = try #require(page.firstMatch(of: /name="_csrf" value="([^"]+)"/)?.1)
            let withoutToken = try await client.execute(
                uri: "/console/users/\(developerID)/remove", method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "")
            ) { $0.status }
            #expect(withoutToken == .forbidden)
            let removed = try await client.execute(
                uri: "/console/users/\(developerID)/remove", method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: FormEncoding.encode([("_csrf", String(csrf))]))
            ) { $0 }
            #expect(removed.status == .seeOther && removed.headers[.location] == "/console/users?done=user-removed")
            let after = try await client.execute(uri: "/console/users?done=user-removed", method: .get, headers: [.cookie: cookie]) {
                String(buffer: $0.body)
            }
            #expect(after.contains("User removed.") && !after.contains("dev@sandbox.test"))
        }
    }

    @Test func eachRoleOpensItsOwnPagesAndGets403OnTheOthers() async throws {
        try await Self.app().test { client in
            let owner = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let admin = try await client.pageSignIn(Self.adminEmail, Self.adminPassword)
            for page in ["/console/integration", "/console/credits", "/console/messages", "/console/contacts", "/console/users"] {
                #expect(try await client.pageStatus(page, cookie: owner) == .ok, "\(page) for the owner")
                #expect(try await client.pageStatus(page, cookie: admin) == .forbidden, "\(page) for the admin")
            }
            for page in ["/console/admin/firms", "/console/admin/audit"] {
                #expect(try await client.pageStatus(page, cookie: admin) == .ok, "\(page) for the admin")
                #expect(try await client.pageStatus(page, cookie: owner) == .forbidden, "\(page) for the owner")
            }
            let css = try await client.execute(uri: "/console/static/console.css", method: .get) { $0 }
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
            let page = try await client.execute(uri: "/console/integration", method: .get, headers: [.cookie: owner]) { $0 }
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(page.headers[.cacheControl] == "no-store")
        }
    }

    @Test func sixWrongPasswordsLockTheAccountWithRetryAfterUntilTheLockEnds() async throws {
        let time = ManualTime()
        try await Self.app(time: time).test { client in
            for attempt in 1...6 {
                let wrong = try await client.signInResponse(Self.adminEmail, "not-the-password-\(attempt)")
                #expect(wrong.status == .unauthorized && wrong.code == "unauthenticated")
            }
            let locked = try await client.signInResponse(Self.adminEmail, Self.adminPassword)
            #expect(locked.status == .tooManyRequests && locked.code == "account_locked")
            #expect(locked.retryAfter == "30")
            let unknown = try await client.signInResponse("nobody@worldledgers.test", Self.adminPassword)
            #expect(unknown.status == .unauthorized && unknown.code == "unauthenticated")
            time.set(time.now.addingTimeInterval(31))
            #expect(try await client.signInResponse(Self.adminEmail, Self.adminPassword).status == .created)
        }
    }

    @Test func signingInAgainInTheSameBrowserEndsItsPreviousSession() async throws {
        try await Self.app().test { client in
            let first = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            #expect(try await client.pageStatus("/console/integration", cookie: first) == .ok)
            let second = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword, previous: first)
            #expect(second != first)
            #expect(try await client.pageStatus("/console/integration", cookie: first) == .seeOther)
            #expect(try await client.pageStatus("/console/integration", cookie: second) == .ok)
        }
    }

    @Test func aCookieSessionMustEchoItsCSRFTokenOnWrites() async throws {
        try await Self.app().test { client in
            let signedIn = try await client.pageSignInResponse(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console/integration")
            let sessionCookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("wl_session=") })
            #expect(sessionCookie.contains("HttpOnly") && sessionCookie.contains("SameSite=Strict") && sessionCookie.contains("Secure"))
            let cookie = String(sessionCookie.prefix { $0 != ";" })
            // The same sign-in without the form's token is refused.
            let forged = try await client.execute(
                uri: "/console/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(
                    string: FormEncoding.encode([("email", ConsoleAccounts.sandboxEmail), ("password", ConsoleAccounts.sandboxPassword)]))
            ) { $0 }
            #expect(forged.status == .forbidden && forged.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("wl_session=") })
            // Nor with an empty token in both the cookie and the form.
            let empty = try await client.execute(
                uri: "/console/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "wl_signin="],
                body: ByteBuffer(
                    string: FormEncoding.encode([
                        ("email", ConsoleAccounts.sandboxEmail), ("password", ConsoleAccounts.sandboxPassword), ("_csrf", ""),
                    ]))
            ) { $0 }
            #expect(empty.status == .forbidden && empty.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("wl_session=") })
            let body = ByteBuffer(string: #"{"label":"from-the-page"}"#)
            let withoutToken = try await client.execute(
                uri: Self.manage + "/firm/api-keys", method: .post, headers: [.cookie: cookie, .contentType: "application/json"], body: body
            ) { $0 }
            #expect(withoutToken.status == .forbidden && withoutToken.errorCode == "csrf_failed")
            let me = try await client.execute(uri: Self.manage + "/me", method: .get, headers: [.cookie: cookie]) { $0 }
            #expect(me.status == .ok)
            let formWithoutToken = try await client.execute(
                uri: "/console/integration/keys", method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "label=x")
            ) { $0 }
            #expect(formWithoutToken.status == .forbidden)
            #expect(String(buffer: formWithoutToken.body).contains("security token"))
            let pageWithoutSession = try await client.execute(uri: "/console/integration", method: .get) { $0 }
            #expect(pageWithoutSession.status == .seeOther && pageWithoutSession.headers[.location] == "/console/sign-in")
        }
    }
}

extension TestClientProtocol {
    /// Signs in through the console's form and returns the `Cookie` header value of the session.
    /// `previous` is the session cookie the browser still sends, if any.
    func pageSignIn(_ email: String, _ password: String, previous: String? = nil) async throws -> String {
        let signedIn = try await pageSignInResponse(email, password, previous: previous)
        let session = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("wl_session=") })
        return String(session.prefix { $0 != ";" })
    }

    /// The sign-in page's answer to its form, filled with `email` and `password` and the token of its `wl_signin`
    /// cookie (with `previous`, the browser's earlier session cookie, sent too).
    func pageSignInResponse(_ email: String, _ password: String, previous: String? = nil) async throws -> TestResponse {
        let page = try await execute(uri: "/console/sign-in", method: .get) { $0 }
        let pre = try #require(page.headers[values: .setCookie].first { $0.hasPrefix("wl_signin=") })
        let token = String(pre.dropFirst("wl_signin=".count).prefix { $0 != ";" })
        let form = FormEncoding.encode([("email", email), ("password", password), ("_csrf", token)])
        let cookies = ["wl_signin=\(token)"] + (previous.map { [$0] } ?? [])
        return try await execute(
            uri: "/console/sign-in", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookies.joined(separator: "; ")], body: ByteBuffer(string: form)
        ) { $0 }
    }

    /// The status of a console page fetched with `cookie`.
    func pageStatus(_ path: String, cookie: String) async throws -> HTTPResponse.Status {
        try await execute(uri: path, method: .get, headers: [.cookie: cookie]) { $0.status }
    }

    /// Signs in through the management API and returns the bearer token.
    func signIn(_ email: String, _ password: String) async throws -> String {
        let response = try await signInResponse(email, password)
        #expect(response.status == .created)
        return try #require(response.token)
    }

    func signInResponse(
        _ email: String, _ password: String
    ) async throws
        -> (status: HTTPResponse.Status, code: String?, token: String?, retryAfter: String?)
    {
        let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": password])
        return try await execute(
            uri: ConsoleAPITests.manage + "/sessions", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body)
        ) { response in
            let json = (try? response.json()) ?? [:]
            return (response.status, response.errorCode, json.data["token"] as? String, response.headers[.retryAfter])
        }
    }

    /// Calls the management API with a bearer token.
    func manage(
        _ method: HTTPRequest.Method, _ path: String, token: String, json: Any? = nil
    ) async throws
        -> (status: HTTPResponse.Status, json: [String: Any])
    {
        let body = try json.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        return try await execute(
            uri: ConsoleAPITests.manage + path, method: method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: body
        ) { response in
            (response.status, (try? response.json()) ?? [:])
        }
    }
}

extension TestApp {
    /// Makes `dev@sandbox.test` (password `developer-pass-1`), a developer of the sandbox firm.
    /// - Returns: The user's id.
    func sandboxDeveloper() async throws -> Int64 {
        try await admin { [time] admin, store in
            try await ConsoleAccounts(store: store, time: time, settings: ConsoleSettings(bcryptCost: 4), logger: Logger(label: "test"))
                .createUser(
                    email: "dev@sandbox.test", password: "developer-pass-1", role: .developer, firmID: try await admin.firm("sandbox").id,
                    origin: .commandLine
                ).id
        }
    }

    /// Makes the sandbox firm `acme` (KES 2 a message) and its owner `owner@acme.test` (password `acme-owner-pass-1`).
    /// - Returns: The firm's id and the owner's.
    func acmeWithOwner() async throws -> (firmID: Int64, ownerID: Int64) {
        try await admin { [time] admin, store in
            let acme = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme Ltd", smsRate: KES(shillings: 2), mode: .sandbox))
            let owner = try await ConsoleAccounts(store: store, time: time, settings: ConsoleSettings(bcryptCost: 4), logger: Logger(label: "test"))
                .createUser(email: "owner@acme.test", password: "acme-owner-pass-1", role: .owner, firmID: acme.id, origin: .commandLine)
            return (acme.id, owner.id)
        }
    }
}
