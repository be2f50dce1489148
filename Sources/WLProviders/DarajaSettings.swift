public import Configuration
public import Foundation

/// How to reach Safaricom Daraja (M-Pesa Express). Read from configuration (see docs/payments.md):
///
/// | key | environment | default |
/// |---|---|---|
/// | `daraja.environment` | `WLCOMM_DARAJA_ENVIRONMENT` | `sandbox`; `production` |
/// | `daraja.baseURL` | `WLCOMM_DARAJA_BASE_URL` | from the environment |
/// | `daraja.shortcode` | `WLCOMM_DARAJA_SHORTCODE` | none: live purchases off |
/// | `daraja.passkey` | `WLCOMM_DARAJA_PASSKEY` (secret) | none |
/// | `daraja.consumerKey` | `WLCOMM_DARAJA_CONSUMER_KEY` (secret) | none |
/// | `daraja.consumerSecret` | `WLCOMM_DARAJA_CONSUMER_SECRET` (secret) | none |
/// | `daraja.callbackBaseURL` | `WLCOMM_DARAJA_CALLBACK_BASE_URL` | none |
/// | `daraja.transactionType` | `WLCOMM_DARAJA_TRANSACTION_TYPE` | `CustomerPayBillOnline` |
/// | `daraja.partyB` | `WLCOMM_DARAJA_PARTY_B` | the shortcode |
/// | `daraja.timeoutSeconds` | `WLCOMM_DARAJA_TIMEOUT_SECONDS` | `30` |
public struct DarajaSettings: Sendable {
    public var baseURL: String
    public var shortcode: String
    public var passkey: String
    public var consumerKey: String
    public var consumerSecret: String
    /// The public base URL where `/callbacks/mpesa/stk/…` reaches this service.
    public var callbackBaseURL: String
    public var transactionType: String
    public var partyB: String
    public var timeout: TimeInterval
    /// Waits before the second and third try of a push Daraja answered with a 5xx.
    public var retryDelays: [Duration] = [.milliseconds(500), .seconds(1)]

    public init(
        baseURL: String, shortcode: String, passkey: String, consumerKey: String, consumerSecret: String, callbackBaseURL: String,
        transactionType: String = "CustomerPayBillOnline", partyB: String? = nil, timeout: TimeInterval = 30
    ) {
        self.baseURL = baseURL
        self.shortcode = shortcode
        self.passkey = passkey
        self.consumerKey = consumerKey
        self.consumerSecret = consumerSecret
        self.callbackBaseURL = callbackBaseURL.hasSuffix("/") ? String(callbackBaseURL.dropLast()) : callbackBaseURL
        self.transactionType = transactionType
        self.partyB = partyB ?? shortcode
        self.timeout = timeout
    }

    /// The settings, or `nil` unless the shortcode, passkey, consumer key and secret and callback base URL are all set.
    public init?(reader: ConfigReader) {
        guard let shortcode = reader.nonEmptyString(forKey: "daraja.shortcode"),
            let passkey = reader.nonEmptyString(forKey: "daraja.passkey", isSecret: true),
            let consumerKey = reader.nonEmptyString(forKey: "daraja.consumerKey", isSecret: true),
            let consumerSecret = reader.nonEmptyString(forKey: "daraja.consumerSecret", isSecret: true),
            let callbackBaseURL = reader.nonEmptyString(forKey: "daraja.callbackBaseURL")
        else { return nil }
        let environment = reader.nonEmptyString(forKey: "daraja.environment") ?? "sandbox"
        let defaultBase = environment == "production" ? "https://api.safaricom.co.ke" : "https://sandbox.safaricom.co.ke"
        self.init(
            baseURL: reader.nonEmptyString(forKey: "daraja.baseURL") ?? defaultBase, shortcode: shortcode, passkey: passkey, consumerKey: consumerKey,
            consumerSecret: consumerSecret, callbackBaseURL: callbackBaseURL,
            transactionType: reader.nonEmptyString(forKey: "daraja.transactionType") ?? "CustomerPayBillOnline",
            partyB: reader.nonEmptyString(forKey: "daraja.partyB"),
            timeout: Double(reader.int(forKey: "daraja.timeoutSeconds", default: 30)))
    }
}
