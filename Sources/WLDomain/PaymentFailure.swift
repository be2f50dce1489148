/// Why a purchase did not credit, as `failure_code` shows it.
public enum PaymentFailure: String, Codable, Sendable, CaseIterable {
    case cancelledByUser = "cancelled_by_user"
    case phoneUnreachable = "phone_unreachable"
    case insufficientMpesaBalance = "insufficient_mpesa_balance"
    case wrongPIN = "wrong_pin"
    case expired
    case subscriberBusy = "subscriber_busy"
    case pushFailed = "push_failed"
    /// Daraja refused or could not take the STK push request: nothing reached the phone.
    case stkPushFailed = "stk_push_failed"
    /// The STK push may have reached the phone, but M-Pesa never confirmed it and nothing could be asked about it:
    /// the payer may have paid, so a new purchase could charge them twice. A person checks (the M-Pesa statement,
    /// account reference `WL<payment id>`); a late callback that says paid still credits it.
    case pushUnconfirmed = "push_unconfirmed"
    /// Held: the paid amount differs from the requested one.
    case amountMismatch = "amount_mismatch"
    /// Held: the receipt number already credited another payment.
    case duplicateReceipt = "duplicate_receipt"
    case unknown

    /// Whether a new purchase may succeed (the payer can act on it); held and unknown ones need a person.
    public var retryable: Bool {
        switch self {
        case .amountMismatch, .duplicateReceipt, .pushUnconfirmed, .unknown: false
        default: true
        }
    }

    /// The failure for an M-Pesa ResultCode (never 0) and its ResultDesc: by code where the code is specific, by the
    /// description's words where it is not (Daraja reuses some codes, and undocumented ones appear).
    public init(resultCode: Int, description: String) {
        switch resultCode {
        case 1032: self = .cancelledByUser
        case 1037: self = .phoneUnreachable
        case 2001: self = .wrongPIN
        case 1019: self = .expired
        case 1001: self = .subscriberBusy
        case 1025, 9999: self = .pushFailed
        default: self = Self(description: description) ?? (resultCode == 1 ? .insufficientMpesaBalance : .unknown)
        }
    }

    /// The failure a ResultDesc names, if it names one.
    private init?(description: String) {
        let text = description.lowercased()
        let rules: [(String, PaymentFailure)] = [
            ("cancel", .cancelledByUser), ("insufficient", .insufficientMpesaBalance), ("cannot be reached", .phoneUnreachable),
            ("timeout", .phoneUnreachable), ("expired", .expired), ("pin", .wrongPIN), ("initiator information", .wrongPIN),
            ("lock subscriber", .subscriberBusy),
        ]
        guard let match = rules.first(where: { text.contains($0.0) }) else { return nil }
        self = match.1
    }
}
