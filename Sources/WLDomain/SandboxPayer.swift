public import Foundation

/// The sandbox's magic payer numbers (the same as Daraja's fake) and what each one's payment does. The wrong-amount
/// payer pays half the amount, rounded down (2 KES for a 1 KES request), as the fake does.
public enum SandboxPayer {
    /// The simulated M-Pesa answer for a payment from `phone` asking for `amount`, and how many times its callback
    /// arrives (0: lost, so only reconciliation settles it).
    public static func behaviour(phone: String, amount: KES, receipt: String, at time: Date) -> (outcome: PaymentOutcome, callbacks: Int) {
        switch phone {
        case "254700000001": (.declined(resultCode: 1032, description: "Request cancelled by user"), 1)
        case "254700000002": (.declined(resultCode: 1037, description: "DS timeout user cannot be reached"), 1)
        case "254700000003": (.declined(resultCode: 1, description: "The balance is insufficient for the transaction."), 1)
        case "254700000004": (.declined(resultCode: 2001, description: "The initiator information is invalid."), 1)
        case "254700000005": (.paid(receipt: receipt, amount: amount, paidAt: time), 0)
        case "254700000006": (.paid(receipt: receipt, amount: amount, paidAt: time), 2)
        case "254700000007": (.paid(receipt: receipt, amount: KES(shillings: amount.cents >= 200 ? amount.cents / 200 : 2), paidAt: time), 1)
        default: (.paid(receipt: receipt, amount: amount, paidAt: time), 1)
        }
    }

    /// A receipt number in M-Pesa's shape (10 upper-case letters and digits) for a sandbox payment.
    public static func receipt(paymentID: Int64) -> String {
        let digits = String(paymentID, radix: 36).uppercased()
        return "SBX" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }
}
