import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import WLDomain
import WLPorts
import WLServices

@testable import WLStore

@Suite struct KenyaEndpointTests {
    /// 21:30 East Africa Time.
    static let night = KenyaSMSTests.night

    @Test func theCategoryIsTakenShownAndFiltered() async throws {
        try await TestApp(time: ManualTime(KenyaSMSTests.morning)).test { client in
            let (status, sent) = try await client.api(
                .post, "/sms", json: ["message": "Sale", "recipients": ["254712345678"], "category": "promotional"])
            #expect(status == .accepted)
            #expect(sent.data["category"] as? String == "promotional")
            #expect(sent.data["scheduled_for"] as? String == "2027-01-15T11:00:00+03:00")
            let plain = try await client.api(.post, "/sms", json: ["message": "Receipt", "recipients": ["254712345678"]])
            #expect(plain.json.data["category"] as? String == "transactional")
            let id = try #require((sent.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            let shown = try await client.finalSMS(Int64(id))
            #expect(shown["category"] as? String == "promotional")
            let list = try await client.api(.get, "/sms?category=promotional").json.data["messages"] as? [[String: Any]]
            #expect(list?.map { $0["message_id"] as? Int } == [id])
            let bad = try await client.api(.get, "/sms?category=marketing")
            #expect(bad.status == .unprocessableContent && bad.json.errors["category"] != nil)
            let badBody = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["254712345678"], "category": "spam"])
            #expect(badBody.status == .unprocessableContent && badBody.json["code"] as? String == "validation_failed")
            #expect(badBody.json.errors["category"] == ["One of transactional, promotional."])
        }
    }

    @Test func theQuoteCountsTheFooterInSegments() async throws {
        try await TestApp(time: ManualTime(Self.night)).test { client in
            // 150 characters: one segment alone, two with the 15-character footer.
            let text = String(repeating: "a", count: 150)
            let plain = try await client.api(.post, "/sms/quote", json: ["message": text, "recipients": ["254712345678"]]).json.data
            #expect(plain["total_segments"] as? Int == 1)
            #expect(plain["opt_out_footer"] is NSNull)
            #expect(plain["scheduled_for"] as? String == "2027-01-15T21:30:00+03:00")
            let promo = try await client.api(
                .post, "/sms/quote", json: ["message": text, "recipients": ["254712345678"], "category": "promotional"]
            ).json.data
            #expect(promo["total_segments"] as? Int == 2)
            #expect(promo["opt_out_footer"] as? String == " STOP *456*9*5#")
            #expect(promo["scheduled_for"] as? String == "2027-01-16T07:00:00+03:00")
        }
    }

    @Test func aPromotionalBlastAcceptedAtNightShowsWhenItWillGo() async throws {
        try await TestApp(time: ManualTime(Self.night)).test { client in
            let sent = try await client.api(.post, "/sms", json: ["message": "Sale", "recipients": ["254712345678"], "category": "promotional"])
            #expect(sent.json.data["scheduled_for"] as? String == "2027-01-16T07:00:00+03:00")
            let id = try #require((sent.json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            // The sandbox dispatcher runs in the background; the message must stay pending.
            let receipt = try await client.api(.post, "/sms", json: ["message": "Receipt", "recipients": ["254712345678"]])
            let receiptID = try #require((receipt.json.data["messages"] as? [[String: Any]])?.first?["message_id"] as? Int)
            _ = try await client.finalSMS(Int64(receiptID))
            let shown = try await client.api(.get, "/sms/\(id)").json.data
            #expect(shown["status"] as? String == "pending")
            #expect(shown["scheduled_for"] as? String == "2027-01-16T07:00:00+03:00")
        }
    }

    @Test func theWindowIsEastAfricaTimeWhateverTheFirmsOwnTimezone() async throws {
        let app = TestApp(time: ManualTime(Self.night))
        try await app.test { client in
            _ = try await app.admin { _, store in
                try await store.database.transaction { try await $0.query("UPDATE firms SET timezone = 'Europe/London' WHERE slug = 'sandbox'") }
            }
            // 21:30 in Nairobi is 18:30 in London: quiet hours all the same; the opening shows in London time.
            let sent = try await client.api(.post, "/sms", json: ["message": "Sale", "recipients": ["254712345678"], "category": "promotional"])
            #expect(sent.json.data["scheduled_for"] as? String == "2027-01-16T04:00:00Z")
            // A send_at in the firm's own zone: 06:00 London is 09:00 in Nairobi, inside the window.
            let later = try await client.api(
                .post, "/sms", json: ["message": "Sale", "recipients": ["254712345678"], "category": "promotional", "send_at": "2027-01-16 06:00:00"])
            #expect(later.json.data["scheduled_for"] as? String == "2027-01-16T06:00:00Z")
        }
    }

    @Test func theOptOutListIsManagedThroughTheAPI() async throws {
        try await TestApp().test { client in
            let added = try await client.api(.post, "/sms/opt-outs", json: ["phone": "0712 345 678"])
            #expect(added.status == .created)
            #expect(added.json.data["phone"] as? String == "254712345678" && added.json.data["source"] as? String == "api")
            #expect(try await client.api(.post, "/sms/opt-outs", json: ["phone": "+254712345678"]).status == .ok)
            _ = try await client.api(.post, "/sms/opt-outs", json: ["phone": "254700000001"])
            let page = try await client.api(.get, "/sms/opt-outs?limit=1").json.data
            #expect((page["opt_outs"] as? [[String: Any]])?.map { $0["phone"] as? String } == ["254700000001"])
            #expect(page["has_more"] as? Bool == true)
            let next = try #require(page["next_starting_after"] as? Int)
            let rest = try await client.api(.get, "/sms/opt-outs?starting_after=\(next)").json.data
            #expect((rest["opt_outs"] as? [[String: Any]])?.map { $0["phone"] as? String } == ["254712345678"])
            let skipped = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["0712345678", "0722000111"]]).json.data
            #expect((skipped["skipped"] as? [[String: Any]])?.first?["reason"] as? String == "opted_out")
            #expect(try await client.api(.delete, "/sms/opt-outs/0712345678").status == .ok)
            let missing = try await client.api(.delete, "/sms/opt-outs/0712345678")
            #expect(missing.status == .notFound && missing.json["code"] as? String == "not_found")
            let bad = try await client.api(.post, "/sms/opt-outs", json: ["phone": "12345"])
            #expect(bad.status == .unprocessableContent && bad.json.errors["phone"] == ["Not a Kenyan mobile number."])
            let unknown = try await client.api(.post, "/sms/opt-outs", json: ["phone": "0712345678", "reason": "x"])
            #expect(unknown.status == .unprocessableContent && unknown.json.errors["reason"] != nil)
        }
    }

    @Test func theAcceptPathKeepsTheListAMomentButSeesItsOwnChangesAtOnce() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let app = TestApp(time: ManualTime(start)).with(["optOuts.cacheMilliseconds": 60_000])
        try await app.test { client in
            let send = { @Sendable () async throws -> [String] in
                let data = try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": ["0712345678", "0722000111"]]).json.data
                return (data["skipped"] as? [[String: Any]] ?? []).compactMap { $0["recipient"] as? String }
            }
            #expect(try await send() == [])
            // Listed and taken off through the API: the next request sees each change.
            #expect(try await client.api(.post, "/sms/opt-outs", json: ["phone": "0712345678"]).status == .created)
            #expect(try await send() == ["254712345678"])
            #expect(try await client.api(.delete, "/sms/opt-outs/0712345678").status == .ok)
            #expect(try await send() == [])
            // Listed by another process: accepted until the kept list lapses, then skipped.
            try await app.admin { _, store in
                let firm = try #require(try await store.firm(slug: "sandbox"))
                try await store.addOptOuts([FirmPhone(firmID: firm.id, phone: "254722000111")], source: .admin, now: start)
            }
            #expect(try await send() == [])
            app.time.set(start.addingTimeInterval(60))
            #expect(try await send() == ["254722000111"])
        }
    }

    @Test func africasTalkingOptOutNotificationsJoinTheListOfTheFirmUsingThatSender() async throws {
        let app = TestApp().with(["africastalking.callbackToken": .init(.string("s3cret-token"), isSecret: true)])
        try await app.test { client in
            _ = try await app.admin { admin, _ in
                try await admin.update("sandbox", FirmUpdate(senderIDs: SenderIDs(transactional: try SenderID("SANDBOX"))))
            }
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            for (token, sender) in [("wrong", "SANDBOX"), ("s3cret-token", "OTHER"), ("s3cret-token", "SANDBOX")] {
                try await client.execute(
                    uri: "/callbacks/africastalking/optout/\(token)", method: .post, headers: form,
                    body: ByteBuffer(string: "senderId=\(sender)&phoneNumber=%2B254711000001")
                ) { response in
                    #expect(response.status == (token == "wrong" ? .notFound : .ok))
                }
            }
            let listed = try await client.api(.get, "/sms/opt-outs").json.data["opt_outs"] as? [[String: Any]]
            #expect(listed?.map { $0["phone"] as? String } == ["254711000001"])
            #expect(listed?.first?["source"] as? String == "provider")
        }
    }
}

@Suite struct AfricasTalkingOptOutTests {
    /// "plain" sends under the account's default sender ID, "beta" under its own two.
    func withFirms(defaultSenderID: String?, _ body: @Sendable (OptOutService, SQLStore, Firm, Firm) async throws -> Void) async throws {
        let app = TestApp()
        try await app.admin { admin, store in
            let plain = try await admin.createFirm(try NewFirm(slug: "plain", name: "Plain", smsRate: KES(cents: 100)))
            _ = try await admin.createFirm(try NewFirm(slug: "beta", name: "Beta", smsRate: KES(cents: 100)))
            let beta = try await admin.update(
                "beta", FirmUpdate(senderIDs: SenderIDs(transactional: try SenderID("BETA"), promotional: try SenderID("BETAInfo"))))
            let service = OptOutService(store: store, time: app.time, defaultSenderID: defaultSenderID, logger: Logger(label: "test"))
            try await body(service, store, plain, beta)
        }
    }

    @Test func withoutAConfiguredDefaultAnUnregisteredSenderIDIsTheAccountsOwn() async throws {
        try await withFirms(defaultSenderID: nil) { service, store, plain, beta in
            let unregistered = try await service.africasTalkingOptOut(["senderId": "AFRICASTKNG", "phoneNumber": "+254711000001"])
            let plainList = try await store.optOuts(firmID: plain.id, limit: 10, startingAfter: nil)
            let betaList = try await store.optOuts(firmID: beta.id, limit: 10, startingAfter: nil)
            #expect(unregistered == 1 && plainList.map(\.phone) == ["254711000001"] && betaList.isEmpty)
            // A registered one still reaches only its firm.
            let registered = try await service.africasTalkingOptOut(["senderId": "BETA", "phoneNumber": "+254711000002"])
            let plainAfter = try await store.optOuts(firmID: plain.id, limit: 10, startingAfter: nil)
            #expect(registered == 1 && plainAfter.count == 1)
        }
    }

    @Test func withAConfiguredDefaultAnotherUnknownSenderIDReachesNoOne() async throws {
        try await withFirms(defaultSenderID: "WLCOMM") { service, store, plain, _ in
            let unknown = try await service.africasTalkingOptOut(["senderId": "AFRICASTKNG", "phoneNumber": "+254711000001"])
            let configured = try await service.africasTalkingOptOut(["senderId": "WLCOMM", "phoneNumber": "+254711000001"])
            let plainList = try await store.optOuts(firmID: plain.id, limit: 10, startingAfter: nil)
            #expect(unknown == 0 && configured == 1 && plainList.count == 1)
        }
    }
}

@Suite struct LowBalanceEndpointTests {
    @Test func theFirmSetsItsThresholdAndItsWebhookHearsTheAlertOnce() async throws {
        let receiver = LocalReceiver()
        try await receiver.run { url in
            let app = TestApp(webhooksAllowPrivate: true)
            try await app.test { client in
                try await app.admin { admin, _ in try await admin.setWebhook(firm: "sandbox", url: url, secret: "s3") }
                #expect(try await client.api(.get, "/sms-credits/low-balance").json.data["threshold"] is NSNull)
                let set = try await client.api(.put, "/sms-credits/low-balance", json: ["threshold": 2_000])
                #expect(set.status == .ok && (set.json.data["threshold"] as? NSNumber)?.intValue == 2_000)
                try await receiver.waitFor(1)
                let alert = try #require(receiver.received.withLock { $0.first }).json
                #expect(alert["event"] as? String == "communication.credits.low" && alert["type"] as? String == "credits")
                #expect((alert["sms_credits"] as? NSNumber)?.intValue == 1_000 && (alert["threshold"] as? NSNumber)?.intValue == 2_000)
                // Saving the threshold again, and spending while low, fire nothing more. An alert's delivery is written
                // with the change that fires it, so once these have returned the outbox holds every alert there will be.
                #expect(try await client.api(.put, "/sms-credits/low-balance", json: ["threshold": 2_000]).status == .ok)
                let alerts = try await app.admin { _, store in
                    let firm = try #require(try await store.firm(slug: "sandbox"))
                    _ = try await store.applyCredits(
                        firmID: firm.id, amount: -Credits(whole: 1), kind: .adjustment, reference: "spend", now: app.time.now)
                    return try await store.database.read {
                        try await $0.query("SELECT id FROM webhook_deliveries WHERE credit_event_id IS NOT NULL").count
                    }
                }
                #expect(alerts == 1)
                let heard = receiver.received.withLock { received in
                    received.count(where: { $0.json["event"] as? String == "communication.credits.low" })
                }
                #expect(heard == 1)
                for bad in [["threshold": -1], ["threshold": "lots"], ["limit": 5]] as [[String: Any]] {
                    let refused = try await client.api(.put, "/sms-credits/low-balance", json: bad)
                    #expect(refused.status == .unprocessableContent && refused.json["code"] as? String == "validation_failed")
                }
                let off = try await client.api(.put, "/sms-credits/low-balance", raw: #"{"threshold": null}"#)
                #expect(off.status == .ok && off.json.data["threshold"] is NSNull)
            }
        }
    }
}
