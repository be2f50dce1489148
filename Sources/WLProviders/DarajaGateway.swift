public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
public import WLDomain
public import WLServices

/// M-Pesa Express through Safaricom Daraja: an OAuth token (cached), the STK push and the STK status query, with
/// JSON bodies, Password = base64(shortcode + passkey + timestamp) and one Nairobi-time timestamp for both fields.
///
/// A push is sent at most once per payment: only a 5xx answer carrying Daraja's error envelope (nothing was created)
/// or a connection that never opened is tried again; a timeout after the request went out is ``PushError/unconfirmed(_:)``.
public struct DarajaGateway: PaymentGateway {
    let settings: DarajaSettings
    let client: HTTPClient
    let time: any TimeSource
    let tokens: DarajaTokenCache
    let logger: Logger

    public init(settings: DarajaSettings, client: HTTPClient, time: any TimeSource, logger: Logger) {
        self.settings = settings
        self.client = client
        self.time = time
        self.tokens = DarajaTokenCache(settings: settings, client: client, time: time)
        self.logger = logger
    }

    /// Each attempt is at most two posts (a rejected token is replaced once), each after a token that may have to be
    /// fetched, every one of them bounded by `settings.timeout`; then the delays between attempts.
    public var longestPush: Double {
        let attempts = Double(settings.retryDelays.count + 1)
        let delays = settings.retryDelays.reduce(0.0) { total, delay in
            total + Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        }
        return attempts * 4 * settings.timeout + delays
    }

    public func requestPush(_ request: PushRequest) async throws -> PushAccepted {
        var attempt = 0
        while true {
            let stamp = MpesaTime.format(time.now)
            let body: [String: String] = [
                "BusinessShortCode": settings.shortcode, "Password": DarajaPassword.make(settings.shortcode, settings.passkey, stamp),
                "Timestamp": stamp, "TransactionType": settings.transactionType, "Amount": String(request.amount.cents / 100),
                "PartyA": request.phone, "PartyB": settings.partyB, "PhoneNumber": request.phone,
                "CallBackURL": settings.callbackBaseURL + request.callbackPath, "AccountReference": "WL\(request.paymentID)",
                "TransactionDesc": "SMS credits",
            ]
            // Why the push may be sent again (nothing was created), or the answer.
            let retry: String
            do {
                let answer = try await post("/mpesa/stkpush/v1/processrequest", body)
                if answer.status == 200, answer.text("ResponseCode") == "0", let checkout = answer.text("CheckoutRequestID") {
                    return PushAccepted(checkoutRequestID: checkout, merchantRequestID: answer.text("MerchantRequestID"))
                }
                let reason = answer.describe()
                // A 5xx without Daraja's envelope came from something in between (a proxy's 502 or 504): the push
                // may have been created behind it, so it is not sent again.
                if answer.status >= 500, answer.text("errorCode") == nil { throw PushError.unconfirmed(reason) }
                // 500.001.1001 covers wrong credentials, an unknown merchant and a subscriber already in a
                // transaction: none of them gets better by asking again at once.
                guard answer.status >= 500, answer.text("errorCode") != "500.001.1001" else { throw PushError.refused(reason) }
                retry = reason
            } catch DarajaCallError.notConnected(let reason) {
                // The detail (addresses, the network library's words) is for the operator; the firm sees the reason.
                logger.warning("Daraja could not be reached", metadata: ["error": "\(reason)"])
                retry = Self.unreachable
            } catch DarajaCallError.noAnswer(let reason) {
                throw PushError.unconfirmed(reason)
            }
            guard attempt < settings.retryDelays.count else { throw PushError.refused(retry) }
            logger.info("trying the STK push again", metadata: ["reason": "\(retry)"])
            try await Task.sleep(for: settings.retryDelays[attempt])
            attempt += 1
        }
    }

    public func queryPush(_ payment: Payment) async throws -> PushStatus {
        guard let checkout = payment.checkoutRequestID else { throw PushError.refused("no checkout request id") }
        let stamp = MpesaTime.format(time.now)
        let answer = try await post(
            "/mpesa/stkpushquery/v1/query",
            [
                "BusinessShortCode": settings.shortcode, "Password": DarajaPassword.make(settings.shortcode, settings.passkey, stamp),
                "Timestamp": stamp, "CheckoutRequestID": checkout,
            ])
        if answer.status == 200, let code = answer.text("ResultCode").flatMap({ Int($0) }) {
            return .completed(
                code == 0 ? .paid(receipt: nil, amount: nil, paidAt: nil) : .declined(resultCode: code, description: answer.text("ResultDesc") ?? ""))
        }
        // Daraja answers "still processing" as an HTTP 500 error, sharing its code with real failures.
        if answer.text("errorCode") == "500.001.1001", answer.text("errorMessage")?.lowercased().contains("being processed") == true {
            return .pending
        }
        throw PushError.refused(answer.describe())
    }

    /// What a firm is told when M-Pesa could not be asked at all (no token, no connection): the detail, which may
    /// name our credentials' problem or addresses, goes to the log.
    public static let unreachable = "M-Pesa could not be reached"

    /// A token for the next call; a failure is logged with its detail and told as ``unreachable``.
    private func bearerToken() async throws -> String {
        do {
            return try await tokens.token()
        } catch PushError.refused(let detail) {
            // The detail says which: no answer (the network, Daraja down) or a refusal (daraja.consumerKey, consumerSecret).
            logger.error("Daraja gave no token", metadata: ["detail": "\(detail)"])
            throw PushError.refused(Self.unreachable)
        }
    }

    /// POSTs `body` as JSON with a bearer token; a rejected token is replaced and the call made once more.
    private func post(_ path: String, _ body: [String: String]) async throws -> DarajaAnswer {
        let token = try await bearerToken()
        var answer = try await DarajaAnswer.fetch(client: client, url: settings.baseURL + path, body: body, token: token, timeout: settings.timeout)
        if answer.isTokenRejected {
            await tokens.invalidate(rejected: token)
            answer = try await DarajaAnswer.fetch(
                client: client, url: settings.baseURL + path, body: body, token: try await bearerToken(), timeout: settings.timeout)
        }
        return answer
    }
}

/// The STK Password.
public enum DarajaPassword {
    /// base64(shortcode + passkey + timestamp).
    public static func make(_ shortcode: String, _ passkey: String, _ timestamp: String) -> String {
        Data((shortcode + passkey + timestamp).utf8).base64EncodedString()
    }
}
