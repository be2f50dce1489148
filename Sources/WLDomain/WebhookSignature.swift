import Crypto
public import Foundation

/// The signatures a webhook carries.
///
/// - `X-WL-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret's UTF-8 bytes>`: the contract's.
/// - `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`: Standard Webhooks', keyed with the same
///   bytes, so a stock verifier works with the secret `whsec_` + base64(secret).
public enum WebhookSignature {
    /// `sha256=<hex>` of `body` with `secret`.
    public static func contract(body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.hex
    }

    /// `v1,<base64>` of `id.timestamp.body` with `secret`.
    public static func standard(id: String, timestamp: Int64, body: [UInt8], secret: String) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The secret as Standard Webhooks libraries take it: `whsec_` + base64 of its bytes.
    public static func standardSecret(_ secret: String) -> String {
        "whsec_" + Data(secret.utf8).base64EncodedString()
    }
}

/// When failed webhook deliveries are tried again: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each
/// with ±10 % jitter; after the eighth attempt the delivery is failed.
public enum WebhookSchedule {
    /// Seconds before each attempt after the first.
    public static let delays: [TimeInterval] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]

    /// Attempts in all.
    public static var maximumAttempts: Int { delays.count + 1 }

    /// The wait after failed attempt number `attempt` (1-based), or `nil` when it was the last; `random` in 0...1.
    public static func delay(after attempt: Int, random: Double) -> TimeInterval? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        return delays[attempt - 1] * (0.9 + 0.2 * random)
    }
}
