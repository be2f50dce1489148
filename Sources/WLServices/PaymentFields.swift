public import WLDomain

/// A payment's fields, shared by `GET /sms-credits/purchase/{id}` and the payment webhooks: payment_id,
/// payment_status, amount_kes, sms_rate, sms_credits_applied, estimated_credits (the contract's), phone,
/// checkout_request_id, mpesa_receipt, failure_code, failure_reason and retryable (`null` when they do not apply).
public enum PaymentFields {
    enum Key: String, CodingKey {
        case type, event, phone, retryable
        case paymentID = "payment_id"
        case paymentStatus = "payment_status"
        case amountKES = "amount_kes"
        case smsRate = "sms_rate"
        case creditsApplied = "sms_credits_applied"
        case estimatedCredits = "estimated_credits"
        case checkoutRequestID = "checkout_request_id"
        case receipt = "mpesa_receipt"
        case failureCode = "failure_code"
        case failureReason = "failure_reason"
    }

    /// Writes the fields of `payment` (at `status`, and with `type` "payment" and the event's name when `event` is
    /// given) into `encoder`'s object; the caller adds its own fields through another keyed container.
    public static func encode(_ payment: Payment, event: String?, status: PaymentStatus, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        if let event {
            try container.encode("payment", forKey: .type)
            try container.encode(event, forKey: .event)
        }
        try container.encode(payment.id, forKey: .paymentID)
        try container.encode(status.rawValue, forKey: .paymentStatus)
        try container.encode(payment.amount, forKey: .amountKES)
        try container.encode(payment.smsRate, forKey: .smsRate)
        try container.encode(payment.creditsApplied, forKey: .creditsApplied)
        try container.encode(payment.estimatedCredits, forKey: .estimatedCredits)
        try container.encode(payment.phone, forKey: .phone)
        try container.encode(payment.checkoutRequestID, forKey: .checkoutRequestID)
        try container.encode(payment.receipt, forKey: .receipt)
        let settledBadly = status == .failed || status == .held
        try container.encode(settledBadly ? payment.failure?.rawValue : nil, forKey: .failureCode)
        try container.encode(settledBadly ? payment.resultDescription : nil, forKey: .failureReason)
        try container.encode(settledBadly ? payment.failure?.retryable : nil, forKey: .retryable)
    }
}
