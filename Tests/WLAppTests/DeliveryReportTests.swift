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
import WLStore

@Suite struct DeliveryReportTests {
    /// A live message accepted by the provider as `AT-1`, and the reports service over the same store.
    func withSubmittedMessage(_ body: @Sendable (SQLStore, Int64, DeliveryReports) async throws -> Void) async throws {
        let provider = ScriptedProvider { _, _ in .accepted(providerMessageID: "AT-1", report: nil) }
        try await DispatcherTests().withDispatcher(provider: provider) { store, firm, sms, dispatcher, time in
            let id = try await sms.send(SMSRequest(message: "Hi", recipients: ["0733000111"]), firm: firm).messages[0].id
            try await dispatcher.runOnce()
            try await body(store, id, DeliveryReports(store: store, time: time, logger: Logger(label: "test")))
        }
    }

    @Test func reportsMoveTheMessageForwardOnlyAndNameTheNetwork() async throws {
        try await withSubmittedMessage { store, id, reports in
            let buffered = try await reports.africasTalking(["id": "AT-1", "status": "Buffered", "networkCode": "63903"])
            #expect(buffered?.status == .processing)
            #expect(buffered?.network == "Airtel")
            let delivered = try await reports.africasTalking([
                "id": "AT-1", "status": "Success", "phoneNumber": "+254733000111", "networkCode": "63903",
            ])
            #expect(delivered?.status == .delivered)
            let late = try await reports.africasTalking(["id": "AT-1", "status": "Failed", "failureReason": "DeliveryFailure"])
            #expect(late?.status == .delivered)
            #expect(try await store.events(firmID: 1, messageID: id).map(\.status) == [.processing, .delivered])
        }
    }

    @Test(arguments: [
        ("Failed", "UserDoesNotExist", "Failed: UserDoesNotExist"), ("Rejected", "UserInBlackList", "Rejected: UserInBlackList"),
        ("Expired", "", "Expired"), ("AbsentSubscriber", "", "AbsentSubscriber"),
    ])
    func failureReportsFailWithTheReason(status: String, reason: String, response: String) async throws {
        try await withSubmittedMessage { store, id, reports in
            let failed = try await reports.africasTalking(["id": "AT-1", "status": status, "failureReason": reason])
            #expect(failed?.status == .failed)
            #expect(failed?.response == response)
            #expect(try await store.firm(id: 1)?.smsCredits == Credits(whole: 9))  // a delivery failure is not refunded
            let listed = try await store.optedOut([FirmPhone(firmID: 1, phone: "254733000111")])
            #expect(listed.isEmpty == (reason != "UserInBlackList"))
            #expect(try await store.optOuts(firmID: 1, limit: 10, startingAfter: nil).map(\.source) == (listed.isEmpty ? [] : [.blacklisted]))
        }
    }

    @Test func unknownIdsAndStatusesAreIgnored() async throws {
        try await withSubmittedMessage { store, id, reports in
            let unknownID = try await reports.africasTalking(["id": "AT-404", "status": "Success"])
            let unknownStatus = try await reports.africasTalking(["id": "AT-1", "status": "Teleported"])
            let noID = try await reports.africasTalking(["status": "Success"])
            let message = try await store.message(firmID: 1, id: id)
            #expect(unknownID == nil && unknownStatus == nil && noID == nil)
            #expect(message?.status == .processing)
        }
    }

    @Test func theCallbackEndpointChecksItsToken() async throws {
        let app = TestApp()
        let reader = ConfigReader(
            provider: InMemoryProvider(values: [
                "database.url": .init(.string(app.databaseURL), isSecret: true), "log.level": "warning",
                "africastalking.callbackToken": .init(.string("s3cret-token"), isSecret: true),
            ]))
        let built = try await WLCommApp.buildApplication(reader: reader, time: app.time)
        try await built.test(.router) { client in
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let body = ByteBuffer(string: "id=ATXid_1&status=Success&phoneNumber=%2B254711000001&networkCode=63902")
            try await client.execute(uri: "/callbacks/africastalking/dlr/s3cret-token", method: .post, headers: form, body: body) { response in
                #expect(response.status == .ok)
            }
            let other = ByteBuffer(string: "id=ATXid_2&status=Success&phoneNumber=%2B254711000002&networkCode=63902")
            try await client.execute(uri: "/callbacks/africastalking/dlr/wrong", method: .post, headers: form, body: other) { response in
                #expect(response.status == .notFound)
            }
            // The id is no message's yet, so the report taken is parked: one row, from the right token only.
            let parked = try await app.admin { _, store in
                try await store.deleteEarlyReports(receivedBefore: app.time.now.addingTimeInterval(3_600), limit: 10)
            }
            #expect(parked == 1)
        }
        try? FileManager.default.removeItem(at: app.folder)
    }
}
