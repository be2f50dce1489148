import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLPorts
import WLStore

@Suite struct BalanceEndpointTests {
    @Test func sandboxKeyGetsTheContractsBalanceShape() async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: [.init("X-API-Key")!: sandboxKey]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let object = try response.json()
                #expect(object["status"] as? String == "success")
                let data = try #require(object["data"] as? [String: Any])
                #expect(Set(data.keys) == ["sms_credits", "sms_rate", "currency"])
                #expect((data["sms_credits"] as? NSNumber)?.decimalValue == 1000)
                #expect((data["sms_rate"] as? NSNumber)?.decimalValue == Decimal(string: "1.8"))
                #expect(data["currency"] as? String == "KES")
                #expect(String(buffer: response.body).contains(#""sms_rate":1.8"#))
            }
        }
    }

    @Test func bearerAuthorizationWorksLikeXAPIKey() async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: [.authorization: "Bearer \(sandboxKey)"]) {
                response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func fractionalBalancesShowAsTheContractDoes() async throws {
        let app = TestApp()
        try await app.test { client in
            _ = try await app.admin { admin, _ in try await admin.adjustCredits(firm: "sandbox", amount: Credits("-874.5")!, reason: "test") }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: [.init("X-API-Key")!: sandboxKey]) { response in
                #expect(String(buffer: response.body).contains(#""sms_credits":125.5"#))
            }
        }
    }

    @Test func eachFirmSeesOnlyItsOwnBalance() async throws {
        let app = TestApp()
        try await app.test { client in
            let key = try await app.admin { admin, _ in
                _ = try await admin.createFirm(try NewFirm(slug: "acme", name: "Acme", smsRate: KES(cents: 250)))
                _ = try await admin.adjustCredits(firm: "acme", amount: Credits(whole: 7), reason: "test")
                return try await admin.createKey(firm: "acme", label: "test").key.secret
            }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: [.init("X-API-Key")!: key]) { response in
                let data = try #require(try response.json()["data"] as? [String: Any])
                #expect((data["sms_credits"] as? NSNumber)?.decimalValue == 7)
                #expect((data["sms_rate"] as? NSNumber)?.decimalValue == Decimal(string: "2.5"))
            }
            try await client.execute(uri: "\(base)/sms-credits/balance", method: .get, headers: [.init("X-API-Key")!: sandboxKey]) { response in
                let data = try #require(try response.json()["data"] as? [String: Any])
                #expect((data["sms_credits"] as? NSNumber)?.decimalValue == 1000)
            }
        }
    }
}
