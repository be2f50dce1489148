import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import Testing
import WLDomain
import WLProviders
import WLServices

/// A clock the test moves by hand.
final class SettableTime: TimeSource {
    let current = Mutex(Date(timeIntervalSince1970: 1_780_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct DarajaGatewayTests {
    let time = SettableTime()

    func gateway(_ base: String, timeout: Double = 5) -> DarajaGateway {
        var settings = DarajaSettings(
            baseURL: base, shortcode: FakeDaraja.shortcode, passkey: FakeDaraja.passkey, consumerKey: "key", consumerSecret: "secret",
            callbackBaseURL: "https://wl.example/", timeout: timeout)
        settings.retryDelays = [.milliseconds(10), .milliseconds(10)]
        return DarajaGateway(settings: settings, client: .shared, time: time, logger: Logger(label: "test"))
    }

    let push = PushRequest(paymentID: 7, phone: "254708374149", amount: KES(shillings: 500), callbackPath: "/callbacks/mpesa/stk/7/abc")

    var payment: Payment {
        Payment(
            id: 7, firmID: 1, phone: "254708374149", amount: KES(shillings: 500), smsRate: KES(cents: 180), estimatedCredits: .zero,
            status: .pending, checkoutRequestID: "ws_CO_1", mode: .live, createdAt: time.now, updatedAt: time.now)
    }

    @Test func theLongestPushCountsEveryTokenPostAndDelayOfEveryAttempt() {
        // Three attempts of up to four calls (token, push, a new token, the push again) of 5 s, and 20 ms of delays.
        #expect(abs(gateway("http://127.0.0.1:9").longestPush - 60.02) < 1e-9)
    }

    @Test func aPushSendsDarajasFieldsWithOneTimestampAndReusesTheToken() async throws {
        let fake = FakeDaraja()
        try await fake.run { base in
            let gateway = gateway(base)
            let accepted = try await gateway.requestPush(push)
            #expect(accepted == PushAccepted(checkoutRequestID: "ws_CO_1", merchantRequestID: "m-1"))
            _ = try await gateway.requestPush(push)
            #expect(fake.tokenRequests.withLock { $0 } == 1)
            let body = try #require(fake.pushes().first?.body)
            // 1,780,000,000 s is 2026-05-28 20:26:40 UTC: 23:26:40 in Nairobi.
            #expect(body["Timestamp"] == "20260528232640")
            #expect(body["Amount"] == "500")
            #expect(body["PartyA"] == "254708374149")
            #expect(body["PhoneNumber"] == "254708374149")
            #expect(body["PartyB"] == FakeDaraja.shortcode)
            #expect(body["CallBackURL"] == "https://wl.example/callbacks/mpesa/stk/7/abc")
            #expect(body["AccountReference"] == "WL7")
            #expect(body["TransactionType"] == "CustomerPayBillOnline")
        }
    }

    @Test func theTokenIsRenewedFiveMinutesBeforeItExpiresAndWhenDarajaRejectsIt() async throws {
        let fake = FakeDaraja()
        try await fake.run { base in
            let gateway = gateway(base)
            _ = try await gateway.requestPush(push)
            time.advance(3599 - 300 - 1)
            _ = try await gateway.requestPush(push)
            #expect(fake.tokenRequests.withLock { $0 } == 1)
            time.advance(2)
            _ = try await gateway.requestPush(push)
            #expect(fake.tokenRequests.withLock { $0 } == 2)
            fake.validTokens.withLock { $0.removeAll() }
            _ = try await gateway.requestPush(push)
            #expect(fake.tokenRequests.withLock { $0 } == 3)
            #expect(fake.pushes().map(\.status) == [200, 200, 200, 404, 200])
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aCallerCancelledWhileTheTokenIsFetchedStopsWaitingAndTheFetchServesTheOthers() async throws {
        let fake = FakeDaraja()
        fake.tokenHeld.withLock { $0 = true }
        try await fake.run { base in
            let gateway = gateway(base, timeout: 30)
            let cancelled = Task { try await gateway.requestPush(push) }
            let waiting = Task { try await gateway.requestPush(push) }
            while fake.tokenArrivals.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            cancelled.cancel()
            // The token is still held: only the cancellation can end this caller's wait.
            let result = await cancelled.result
            #expect(fake.tokenRequests.withLock { $0 } == 0)
            #expect(throws: CancellationError.self) { try result.get() }
            fake.tokenHeld.withLock { $0 = false }
            #expect(try await waiting.value.checkoutRequestID == "ws_CO_1")
            #expect(fake.tokenArrivals.withLock { $0 } == 1)
            #expect(fake.pushes().count == 1)
        }
    }

    @Test func aBusyDarajaIsAskedAgainAndOnlyOnePushIsAccepted() async throws {
        let fake = FakeDaraja()
        fake.script(
            "processrequest",
            [
                (503, #"{"requestId":"r","errorCode":"500.003.02","errorMessage":"System is busy. Please try again in few minutes"}"#),
                (500, #"{"requestId":"r","errorCode":"500.003.1001","errorMessage":"Internal Server Error"}"#),
            ])
        try await fake.run { base in
            let accepted = try await gateway(base).requestPush(push)
            #expect(fake.pushes().map(\.status) == [503, 500, 200])
            #expect(accepted.checkoutRequestID.hasPrefix("ws_CO_"))
        }
    }

    @Test func aBusyDarajaIsGivenUpOnAfterThreeTries() async throws {
        let fake = FakeDaraja()
        let busy = (503, #"{"requestId":"r","errorCode":"500.003.02","errorMessage":"System is busy"}"#)
        fake.script("processrequest", [busy, busy, busy, busy])
        try await fake.run { base in
            await #expect(throws: PushError.refused("Daraja 500.003.02: System is busy")) { try await gateway(base).requestPush(push) }
            #expect(fake.pushes().count == 3)
        }
    }

    @Test func aGatewayErrorWithoutDarajasEnvelopeIsUnconfirmedAndNotSentAgain() async throws {
        let fake = FakeDaraja()
        fake.script("processrequest", [(502, "<html><body>Bad Gateway</body></html>")])
        try await fake.run { base in
            await #expect(throws: PushError.unconfirmed("Daraja answered HTTP 502")) { try await gateway(base).requestPush(push) }
            #expect(fake.pushes().count == 1)
        }
    }

    @Test func wrongCredentialsAndABusySubscriberAreNotRetried() async throws {
        let fake = FakeDaraja()
        fake.script(
            "processrequest",
            [
                (
                    500,
                    #"{"requestId":"r","errorCode":"500.001.1001","errorMessage":"Unable to lock subscriber, a transaction is already in process for the current subscriber"}"#
                )
            ])
        try await fake.run { base in
            await #expect(
                throws: PushError.refused(
                    "Daraja 500.001.1001: Unable to lock subscriber, a transaction is already in process for the current subscriber")
            ) { try await gateway(base).requestPush(push) }
            #expect(fake.pushes().count == 1)
        }
    }

    @Test func aDarajaThatCannotBeReachedIsToldWithoutTheNetworksDetail() async throws {
        // Nothing listens on port 1: the token request cannot connect. The firm's answer names no address or library.
        await #expect(throws: PushError.refused("M-Pesa could not be reached")) {
            try await gateway("http://127.0.0.1:1", timeout: 1.5).requestPush(push)
        }
    }

    @Test func aPushWhoseAnswerNeverComesIsUnconfirmedAndNeverSentAgain() async throws {
        let fake = FakeDaraja()
        try await fake.run { base in
            let gateway = gateway(base, timeout: 1.5)
            // A first push, answered at once, caches the token: the push that times out below makes no token request.
            _ = try await gateway.requestPush(push)
            #expect(fake.tokenRequests.withLock { $0 } == 1)
            fake.pushDelay.withLock { $0 = 4 }
            await #expect(throws: PushError.unconfirmed("no complete answer within 1500 ms")) { try await gateway.requestPush(push) }
            #expect(fake.tokenRequests.withLock { $0 } == 1)
            #expect(fake.pushes().count == 2)
        }
    }

    @Test func aPushWhoseBodyNeverCompletesIsUnconfirmedWithinTheTimeoutAndNeverSentAgain() async throws {
        let fake = FakeDaraja()
        fake.pushTrickles.withLock { $0 = true }
        try await fake.run { base in
            let start = ContinuousClock.now
            await #expect(throws: PushError.unconfirmed("no complete answer within 1000 ms")) {
                try await gateway(base, timeout: 1).requestPush(push)
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(10), "took \(elapsed)")
            #expect(fake.pushes().count == 1)
        }
    }

    @Test func theQueryReadsBeingProcessedAsPendingAndAStringResultCode() async throws {
        let fake = FakeDaraja()
        fake.script(
            "query",
            [
                (500, #"{"requestId":"ws_CO_1","errorCode":"500.001.1001","errorMessage":"The transaction is being processed"}"#),
                (
                    200,
                    #"{"ResponseCode":"0","ResponseDescription":"The service request has been accepted successsfully","CheckoutRequestID":"ws_CO_1","ResultCode":"1032","ResultDesc":"Request cancelled by user"}"#
                ),
                (500, #"{"requestId":"ws_CO_1","errorCode":"500.001.1001","errorMessage":"[MerchantValidate] - Wrong credentials"}"#),
            ])
        try await fake.run { base in
            let gateway = gateway(base)
            #expect(try await gateway.queryPush(payment) == .pending)
            #expect(try await gateway.queryPush(payment) == .completed(.declined(resultCode: 1032, description: "Request cancelled by user")))
            await #expect(throws: PushError.refused("Daraja 500.001.1001: [MerchantValidate] - Wrong credentials")) {
                try await gateway.queryPush(payment)
            }
            #expect(try await gateway.queryPush(payment) == .completed(.paid(receipt: nil, amount: nil, paidAt: nil)))
            let query = try #require(fake.calls.withLock { $0.last?.body })
            #expect(query["CheckoutRequestID"] == "ws_CO_1")
            #expect(query["BusinessShortCode"] == FakeDaraja.shortcode)
        }
    }
}
