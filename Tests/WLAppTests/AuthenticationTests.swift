import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLPorts
import WLStore

@Suite struct AuthenticationTests {
    static let badHeaders: [(String, HTTPFields)] = [
        ("no key", [:]),
        ("unknown key", [HTTPField.Name("X-API-Key")!: "wl_comm_0123456789abcdef0123456789abcdef"]),
        ("malformed key", [HTTPField.Name("X-API-Key")!: "not a key"]),
        ("basic auth", [.authorization: "Basic d2w6eA=="]),
        ("empty bearer", [.authorization: "Bearer "]),
    ]

    @Test(arguments: badHeaders.map(\.0))
    func missingOrUnknownKeysGet401InJSON(name: String) async throws {
        let headers = try #require(Self.badHeaders.first { $0.0 == name }?.1)
        try await TestApp().test { client in
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { response in
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "unauthenticated")
                #expect(response.headers[.init("X-Request-Id")!] != nil)
            }
        }
    }

    @Test func aRevokedKeyGets401() async throws {
        let app = TestApp()
        try await app.test { client in
            let key = try await app.admin { admin, _ in try await admin.createKey(firm: "sandbox", label: "temp") }
            let headers: HTTPFields = [.init("X-API-Key")!: key.key.secret]
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { #expect($0.status == .ok) }
            _ = try await app.admin { admin, _ in try await admin.revokeKey(firm: "sandbox", keyID: key.record.id) }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func aKeyRevokedElsewhereIsRefusedOnceTheAuthenticationCacheLapses() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let app = TestApp(time: ManualTime(start)).with(["auth.cacheMilliseconds": 1500])
        try await app.test { client in
            let key = try await app.admin { admin, _ in try await admin.createKey(firm: "sandbox", label: "cached") }
            let headers: HTTPFields = [.init("X-API-Key")!: key.key.secret]
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { #expect($0.status == .ok) }
            // The CLI's revocation is another store session: this server learns of it when its cache lapses.
            _ = try await app.admin { admin, _ in try await admin.revokeKey(firm: "sandbox", keyID: key.record.id) }
            app.time.set(start.addingTimeInterval(1.4))
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { #expect($0.status == .ok) }
            app.time.set(start.addingTimeInterval(1.6))
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { response in
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "unauthenticated")
            }
            // The lapsed entry is gone, and a refused key is never kept: it stays refused.
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func aSuspendedFirmGets403AndComesBackWhenActivated() async throws {
        let app = TestApp()
        try await app.test { client in
            let headers: HTTPFields = [.init("X-API-Key")!: sandboxKey]
            _ = try await app.admin { admin, _ in try await admin.update("sandbox", FirmUpdate(status: .suspended)) }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { response in
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "account_suspended")
            }
            _ = try await app.admin { admin, _ in try await admin.update("sandbox", FirmUpdate(status: .active)) }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { #expect($0.status == .ok) }
        }
    }

    @Test func anExpiredSubscriptionGets403() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let app = TestApp(time: ManualTime(start))
        try await app.test { client in
            let headers: HTTPFields = [.init("X-API-Key")!: sandboxKey]
            _ = try await app.admin { admin, _ in
                try await admin.update("sandbox", FirmUpdate(subscriptionExpiresAt: .some(start.addingTimeInterval(3600))))
            }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { #expect($0.status == .ok) }
            app.time.set(start.addingTimeInterval(3600))
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: headers) { response in
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "subscription_expired")
            }
        }
    }
}
