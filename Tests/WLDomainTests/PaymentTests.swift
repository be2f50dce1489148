import Foundation
import Testing
import WLDomain

@Suite struct PaymentFailureTests {
    @Test(arguments: [
        (1032, "Request cancelled by user", PaymentFailure.cancelledByUser),
        (1037, "DS timeout user cannot be reached", .phoneUnreachable),
        (1, "The balance is insufficient for the transaction.", .insufficientMpesaBalance),
        (2001, "The initiator information is invalid.", .wrongPIN),
        (1019, "Transaction has expired", .expired),
        (1001, "Unable to lock subscriber, a transaction is already in process for the current subscriber", .subscriberBusy),
        (1025, "An error occurred while sending a push request.", .pushFailed),
        // Codes Daraja reuses or leaves undocumented are read by their description.
        (1, "Request cancelled by user", .cancelledByUser),
        (17, "Rule limited: the PIN entered is wrong", .wrongPIN),
        (26, "System busy", .unknown),
    ])
    func mapsResultCodesAndDescriptions(code: Int, description: String, failure: PaymentFailure) {
        #expect(PaymentFailure(resultCode: code, description: description) == failure)
    }

    @Test func onlyFailuresThePayerCanFixAreRetryable() {
        #expect(PaymentFailure.cancelledByUser.retryable)
        #expect(PaymentFailure.insufficientMpesaBalance.retryable)
        #expect(!PaymentFailure.amountMismatch.retryable)
        #expect(!PaymentFailure.duplicateReceipt.retryable)
        #expect(!PaymentFailure.unknown.retryable)
    }
}

@Suite struct PaymentSettlementTests {
    let requested = KES(shillings: 500)

    func decide(_ status: PaymentStatus, _ outcome: PaymentOutcome, hasReceipt: Bool = false, taken: Bool = false) -> PaymentSettlement? {
        PaymentSettlement.decide(status: status, hasReceipt: hasReceipt, requested: requested, outcome: outcome, receiptTaken: taken)
    }

    @Test func aPendingPaymentSettlesByTheOutcome() {
        #expect(decide(.pending, .paid(receipt: "R", amount: requested, paidAt: nil)) == .receive(receipt: "R", amount: requested, paidAt: nil))
        #expect(decide(.pending, .paid(receipt: nil, amount: nil, paidAt: nil)) == .receive(receipt: nil, amount: nil, paidAt: nil))
        #expect(
            decide(.pending, .declined(resultCode: 1032, description: "Request cancelled by user"))
                == .fail(.cancelledByUser, resultCode: 1032, description: "Request cancelled by user"))
        #expect(decide(.pending, .pushFailed(reason: "busy")) == .fail(.stkPushFailed, resultCode: nil, description: "busy"))
        #expect(decide(.pending, .unconfirmed(reason: "lost")) == .fail(.pushUnconfirmed, resultCode: nil, description: "lost"))
        #expect(decide(.failed, .unconfirmed(reason: "lost")) == nil)
        #expect(!PaymentFailure.pushUnconfirmed.retryable && PaymentFailure.stkPushFailed.retryable)
    }

    @Test func aWrongAmountOrAUsedReceiptIsHeld() {
        let half = KES(shillings: 250)
        #expect(
            decide(.pending, .paid(receipt: "R", amount: half, paidAt: nil)) == .hold(.amountMismatch, receipt: "R", amount: half, paidAt: nil))
        #expect(
            decide(.pending, .paid(receipt: "R", amount: requested, paidAt: nil), taken: true)
                == .hold(.duplicateReceipt, receipt: "R", amount: requested, paidAt: nil))
        // One cent over is still a mismatch.
        let over = KES(cents: 50_001)
        #expect(decide(.pending, .paid(receipt: "R", amount: over, paidAt: nil)) == .hold(.amountMismatch, receipt: "R", amount: over, paidAt: nil))
    }

    @Test func settledPaymentsNeverGoBack() {
        for outcome in [
            PaymentOutcome.declined(resultCode: 1032, description: "x"), .pushFailed(reason: "x"), .paid(receipt: nil, amount: nil, paidAt: nil),
        ] {
            #expect(decide(.received, outcome, hasReceipt: true) == nil)
            #expect(decide(.held, outcome) == nil)
        }
        #expect(decide(.failed, .declined(resultCode: 1, description: "x")) == nil)
        #expect(decide(.failed, .paid(receipt: "R", amount: requested, paidAt: nil)) == .receive(receipt: "R", amount: requested, paidAt: nil))
        #expect(decide(.received, .paid(receipt: "R", amount: requested, paidAt: nil)) == .attachReceipt("R", paidAt: nil))
        #expect(decide(.received, .paid(receipt: "R", amount: requested, paidAt: nil), taken: true) == nil)
    }
}

@Suite struct MpesaCallbackTests {
    func decode(_ json: String) throws -> MpesaCallback { try JSONDecoder().decode(MpesaCallback.self, from: Data(json.utf8)) }

    @Test func readsASuccessByItemName() throws {
        // Items out of order, Amount with decimals, Balance without a Value, numbers for the date and phone.
        let callback = try decode(
            """
            {"Body": {"stkCallback": {"MerchantRequestID": "29115-1", "CheckoutRequestID": "ws_CO_1", "ResultCode": 0,
              "ResultDesc": "The service request is processed successfully.",
              "CallbackMetadata": {"Item": [{"Name": "PhoneNumber", "Value": 254708374149}, {"Name": "Balance"},
                {"Name": "MpesaReceiptNumber", "Value": "TKU4X7Q2LM"}, {"Name": "TransactionDate", "Value": 20251130103046},
                {"Name": "Amount", "Value": 500.00}]}}}}
            """)
        #expect(callback.checkoutRequestID == "ws_CO_1")
        #expect(callback.items["PhoneNumber"] == "254708374149")
        #expect(callback.items["Balance"] == nil)
        guard case .paid(let receipt, let amount, let paidAt) = callback.outcome else {
            Issue.record("expected paid")
            return
        }
        #expect(receipt == "TKU4X7Q2LM")
        #expect(amount == KES(shillings: 500))
        // 10:30:46 in Nairobi (UTC+3) is 07:30:46 UTC.
        #expect(paidAt == ISO8601DateFormatter().date(from: "2025-11-30T07:30:46Z"))
    }

    @Test func readsAFailureWithoutMetadataAndAStringResultCode() throws {
        let callback = try decode(
            #"{"Body": {"stkCallback": {"MerchantRequestID": "m", "CheckoutRequestID": "ws_CO_2", "ResultCode": "1032", "ResultDesc": "Request cancelled by user"}}}"#
        )
        #expect(callback.outcome == .declined(resultCode: 1032, description: "Request cancelled by user"))
    }

    @Test func aSuccessWithoutAnAmountIsNeverCreditedBlind() throws {
        let callback = try decode(
            #"{"Body": {"stkCallback": {"CheckoutRequestID": "ws_CO_3", "ResultCode": 0, "ResultDesc": "ok", "CallbackMetadata": {"Item": [{"Name": "MpesaReceiptNumber", "Value": "R"}]}}}}"#
        )
        #expect(callback.outcome == .paid(receipt: "R", amount: KES(cents: 0), paidAt: nil))
    }

    @Test func sandboxPayersFollowTheFake() {
        let amount = KES(shillings: 500)
        #expect(SandboxPayer.behaviour(phone: "254712345678", amount: amount, receipt: "R", at: .distantPast).callbacks == 1)
        #expect(SandboxPayer.behaviour(phone: "254700000005", amount: amount, receipt: "R", at: .distantPast).callbacks == 0)
        #expect(SandboxPayer.behaviour(phone: "254700000006", amount: amount, receipt: "R", at: .distantPast).callbacks == 2)
        #expect(
            SandboxPayer.behaviour(phone: "254700000007", amount: KES(shillings: 1), receipt: "R", at: .distantPast).outcome
                == .paid(receipt: "R", amount: KES(shillings: 2), paidAt: .distantPast))
        #expect(SandboxPayer.receipt(paymentID: 35).count == 10)
    }
}
