public import Configuration
public import Foundation

/// How to reach Africa's Talking. Read from configuration:
///
/// | key | environment | default |
/// |---|---|---|
/// | `africastalking.username` | `WLCOMM_AFRICASTALKING_USERNAME` | none: live SMS is off |
/// | `africastalking.apiKey` | `WLCOMM_AFRICASTALKING_API_KEY` (secret) | none |
/// | `africastalking.senderId` | `WLCOMM_AFRICASTALKING_SENDER_ID` | none (the account's default) |
/// | `africastalking.baseURL` | `WLCOMM_AFRICASTALKING_BASE_URL` | `https://api.africastalking.com` (sandbox: `https://api.sandbox.africastalking.com`) |
/// | `africastalking.callbackToken` | `WLCOMM_AFRICASTALKING_CALLBACK_TOKEN` (secret) | none: no delivery-report endpoint |
/// | `africastalking.timeoutSeconds` | `WLCOMM_AFRICASTALKING_TIMEOUT_SECONDS` | `15` |
public struct AfricasTalkingSettings: Sendable {
    public var username: String
    public var apiKey: String
    public var senderID: String?
    public var baseURL: String
    public var timeout: TimeInterval
    /// Recipients per provider call.
    public var batchSize = 500

    public init(
        username: String, apiKey: String, senderID: String? = nil, baseURL: String = "https://api.africastalking.com", timeout: TimeInterval = 15
    ) {
        self.username = username
        self.apiKey = apiKey
        self.senderID = senderID
        self.baseURL = baseURL
        self.timeout = timeout
    }

    /// The settings, or `nil` when no username and API key are configured.
    public init?(reader: ConfigReader) {
        // An empty value is an unset one, as for the other providers: the example configuration lists every key
        // with "" (an empty base URL made every send fail, an empty sender id sent `from=`).
        guard let username = reader.nonEmptyString(forKey: "africastalking.username"),
            let apiKey = reader.nonEmptyString(forKey: "africastalking.apiKey", isSecret: true)
        else { return nil }
        self.init(
            username: username, apiKey: apiKey, senderID: reader.nonEmptyString(forKey: "africastalking.senderId"),
            baseURL: reader.nonEmptyString(forKey: "africastalking.baseURL") ?? "https://api.africastalking.com",
            timeout: Double(reader.int(forKey: "africastalking.timeoutSeconds", default: 15)))
    }
}
