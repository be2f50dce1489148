import Crypto
import Foundation

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

    /// Both signatures with one secret, its key prepared once (``contract(body:secret:)`` and
    /// ``standard(id:timestamp:body:secret:)`` each prepare their own).
    public static func both(id: String, timestamp: Int64, body: [UInt8], secret: String) -> (contract: String, standard: String) {
        let keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        var contract = keyed
        contract.update(data: body)
        var standard = keyed
        standard.update(data: Array("\(id).\(timestamp).".utf8))
        standard.update(data: body)
        return ("sha256=" + contract.finalize().hex, "v1," + Data(standard.finalize()).base64EncodedString())
    }

    /// The secret as Standard Webhooks libraries take it: `whsec_` + base64 of its bytes.
    public static func standardSecret(_ secret: String) -> String {
        "whsec_" + Data(secret.utf8).base64EncodedString()
    }
}
