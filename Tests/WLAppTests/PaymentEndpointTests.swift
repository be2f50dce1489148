import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain

extension TestClientProtocol {
    /// Starts a sandbox purchase and returns its payment id.
    func purchase(_ phone: String, _ amount: Int = 500) async throws -> Int {
        let (status, json) = try await api(.post, "/sms-credits/purchase", json: ["phone": phone, "amount": amount])
        #expect(status == .accepted)
        return try #require(json.data["payment_id"] as? Int)
    }

    /// Every ledger entry, newest first, through the cursor.
    func allTransactions() async throws -> [[String: Any]] {
        var entries: [[String: Any]] = []
        var path = "/sms-credits/transactions?limit=2"
        while true {
            let data = try await api(.get, path).json.data
            entries += data["transactions"] as? [[String: Any]] ?? []
            guard data["has_more"] as? Bool == true, let next = data["next_starting_after"] as? Int else { return entries }
            path = "/sms-credits/transactions?limit=2&starting_after=\(next)"
        }
    }
}

/// The decimal in a JSON number, exactly.
func decimal(_ value: Any?) -> Decimal? { (value as? NSNumber).map { Decimal(string: $0.stringValue) } ?? nil }

@Suite struct PaymentEndpointTests {
    @Test(arguments: TestEngine.available)
    func theContractsSandboxPurchaseSettlesReceivedWithItsCredits(engine: TestEngine) async throws {
        let app = try await TestApp(engine: engine)
        try await app.test { client in
            let (status, started) = try await client.api(.post, "/sms-credits/purchase", json: ["phone": "0712345678", "amount": 500])
            #expect(status == .accepted)
            #expect(started.data["payment_status"] as? String == "Pending")
            #expect(started.data["amount_kes"] as? Int == 500)
            #expect(decimal(started.data["sms_rate"]) == Decimal(string: "1.8"))
            #expect(decimal(started.data["estimated_credits"]) == Decimal(string: "277.7778"))
            #expect(decimal(started.data["sms_credits_applied"]) == 0)
            #expect(started.data["phone"] as? String == "254712345678")
            #expect((started.data["checkout_request_id"] as? String)?.hasPrefix("ws_CO_") == true)
            let id = try #require(started.data["payment_id"] as? Int)
            app.time.set(app.time.now.addingTimeInterval(1))
            let settled = try await client.settledPayment(id)
            #expect(settled["payment_status"] as? String == "Received")
            #expect(decimal(settled["sms_credits_applied"]) == Decimal(string: "277.7778"))
            #expect(decimal(settled["firm_sms_credits"]) == Decimal(string: "1277.7778"))
            #expect(settled["mpesa_receipt"] is String)
            let balance = try await client.api(.get, "/sms-credits/balance").json.data
            #expect(decimal(balance["sms_credits"]) == Decimal(string: "1277.7778"))
            let entries = try await client.allTransactions()
            #expect(entries.first?["kind"] as? String == "purchase")
            #expect(entries.first?["payment_id"] as? Int == id)
            #expect(entries.first?["mpesa_receipt"] as? String == settled["mpesa_receipt"] as? String)
            #expect(entries.last?["kind"] as? String == "adjustment")
            #expect(entries.last?["reason"] as? String == "sandbox seed")
            #expect(entries.compactMap { decimal($0["credits"]) }.reduce(0, +) == Decimal(string: "1277.7778"))
        }
    }

    @Test func eachMagicPayerEndsAsDocumentedAndOnlyPaymentsInFullCredit() async throws {
        let app = TestApp()
        try await app.test { client in
            let expected: [(String, String, String?)] = [
                ("0700000001", "Failed", "cancelled_by_user"), ("0700000002", "Failed", "phone_unreachable"),
                ("0700000003", "Failed", "insufficient_mpesa_balance"), ("0700000004", "Failed", "wrong_pin"),
                ("0700000006", "Received", nil), ("0700000007", "Held", "amount_mismatch"),
            ]
            var ids: [Int] = []
            for (phone, _, _) in expected { ids.append(try await client.purchase(phone)) }
            let lost = try await client.purchase("0700000005")
            app.time.set(app.time.now.addingTimeInterval(1))
            for (id, (phone, status, failure)) in zip(ids, expected) {
                let payment = try await client.settledPayment(id)
                #expect(payment["payment_status"] as? String == status, "\(phone)")
                #expect(payment["failure_code"] as? String == failure, "\(phone)")
                #expect(payment["retryable"] as? Bool == failure.map { $0 != "amount_mismatch" }, "\(phone)")
            }
            // The lost callback: pending until reconciliation asks, a minute after the push.
            #expect(try await client.api(.get, "/sms-credits/purchase/\(lost)").json.data["payment_status"] as? String == "Pending")
            app.time.set(app.time.now.addingTimeInterval(60))
            let settled = try await client.settledPayment(lost)
            #expect(settled["payment_status"] as? String == "Received")
            // Settled by a status query, which (like Daraja's) carries no receipt.
            #expect(settled["mpesa_receipt"] is NSNull)
            let purchases = try await client.allTransactions().filter { $0["kind"] as? String == "purchase" }
            #expect(Set(purchases.compactMap { $0["payment_id"] as? Int }) == [ids[4], lost])
            #expect(purchases.count == 2)
            let balance = try await client.api(.get, "/sms-credits/balance").json.data
            #expect(decimal(balance["sms_credits"]) == Decimal(string: "1555.5556"))
        }
    }

    @Test func badPurchasesAreRefusedWithTheFieldAndNothingIsRecorded() async throws {
        let app = TestApp()
        try await app.test { client in
            let bodies: [(String, String)] = [
                (#"{"phone": "0712345678", "amount": 0}"#, "amount"), (#"{"phone": "0712345678", "amount": 1.5}"#, "amount"),
                (#"{"phone": "0712345678", "amount": 250001}"#, "amount"), (#"{"phone": "0712345678", "amount": "500"}"#, "amount"),
                (#"{"phone": "0712345678"}"#, "amount"), (#"{"phone": "0812345678", "amount": 500}"#, "phone"),
                (#"{"amount": 500}"#, "phone"), (#"{"phone": "0712345678", "amount": 500, "currency": "KES"}"#, "currency"),
            ]
            for (body, field) in bodies {
                let (status, json) = try await client.api(.post, "/sms-credits/purchase", raw: body)
                #expect(status == .unprocessableContent, "\(body)")
                #expect(json["code"] as? String == "validation_failed", "\(body)")
                #expect(json.errors[field] != nil, "\(body)")
            }
            #expect(try await client.api(.post, "/sms-credits/purchase", json: ["phone": "254112345678", "amount": 250_000]).status == .accepted)
            for path in ["/sms-credits/purchase/2", "/sms-credits/purchase/abc"] {
                let missing = try await client.api(.get, path)
                #expect(missing.status == .notFound && missing.json["code"] as? String == "not_found", "\(path)")
            }
            let badPage = try await client.api(.get, "/sms-credits/transactions?limit=0")
            #expect(badPage.status == .unprocessableContent && badPage.json["code"] as? String == "validation_failed")
            let callback = try await client.execute(uri: "/callbacks/mpesa/stk/1/not-the-token", method: .post, body: ByteBuffer(string: "{}"))
            #expect(callback.status == .notFound)
        }
    }

    @Test func anotherFirmsPaymentIsNotFound() async throws {
        let app = TestApp()
        let key = try await app.admin { admin, _ in
            _ = try await admin.createFirm(try NewFirm(slug: "other", name: "Other", smsRate: KES(cents: 100), mode: .sandbox))
            return try await admin.createKey(firm: "other", label: "k").key.secret
        }
        try await app.test { client in
            let id = try await client.purchase("0712345678")
            let (status, json) = try await client.api(.get, "/sms-credits/purchase/\(id)", key: key)
            #expect(status == .notFound)
            #expect(json["code"] as? String == "not_found")
            let others = try await client.api(.get, "/sms-credits/transactions", key: key).json.data["transactions"] as? [Any]
            #expect(others?.isEmpty == true)
        }
    }
}
