import Foundation
public import Hummingbird
import WLDomain

/// The one place that turns errors into HTTP statuses and envelopes.
public enum ErrorMapping {
    /// The status and envelope for `error`. Unknown errors become a 500 that reveals nothing.
    public static func envelope(for error: any Error) -> (HTTPResponse.Status, ErrorEnvelope, HTTPFields) {
        switch error {
        case let error as DomainError:
            var headers = HTTPFields()
            if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
            // RFC 9110 asks every 401 to name the scheme that would work.
            if error.code == .unauthenticated { headers[.wwwAuthenticate] = #"Bearer realm="World Ledgers""# }
            return (
                status(for: error.code),
                ErrorEnvelope(code: code(for: error.code), message: error.message, errors: error.fields.isEmpty ? nil : error.fields),
                headers
            )
        case let error as HTTPError:
            return (error.status, ErrorEnvelope(code: code(for: error.status), message: error.body ?? error.status.reasonPhrase), error.headers)
        case let error as any HTTPResponseError:
            // Framework errors such as a chunked body collected past its limit.
            let message = error.status == .contentTooLarge ? "The request body is over the limit." : error.status.reasonPhrase
            return (error.status, ErrorEnvelope(code: code(for: error.status), message: message), [:])
        case let error as DecodingError:
            let (field, message) = describe(error)
            return (
                .unprocessableContent,
                ErrorEnvelope(code: "validation_failed", message: "The request body is not valid.", errors: [field: [message]]), [:]
            )
        default:
            return (
                .internalServerError,
                ErrorEnvelope(code: "internal_error", message: "Something went wrong on our side. Quote the request id when you contact support."),
                [:]
            )
        }
    }

    /// The status for each domain code.
    static func status(for code: DomainError.Code) -> HTTPResponse.Status {
        switch code {
        case .unauthenticated: .unauthorized
        case .accountSuspended, .subscriptionExpired, .forbidden, .csrfFailed: .forbidden
        case .validation, .insufficientCredits: .unprocessableContent
        case .notFound: .notFound
        case .duplicate, .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .rateLimited, .accountLocked: .tooManyRequests
        case .paymentProviderUnavailable: .badGateway
        case .serviceUnavailable: .serviceUnavailable
        }
    }

    /// The envelope code for each domain code.
    static func code(for code: DomainError.Code) -> String {
        switch code {
        case .unauthenticated: "unauthenticated"
        case .accountSuspended: "account_suspended"
        case .subscriptionExpired: "subscription_expired"
        case .validation: "validation_failed"
        case .notFound: "not_found"
        case .duplicate: "duplicate"
        case .conflict: "conflict"
        case .insufficientCredits: "insufficient_credits"
        case .payloadTooLarge: "payload_too_large"
        case .rateLimited: "rate_limited"
        case .paymentProviderUnavailable: "mpesa_unavailable"
        case .serviceUnavailable: "service_unavailable"
        case .forbidden: "forbidden"
        case .accountLocked: "account_locked"
        case .csrfFailed: "csrf_failed"
        }
    }

    /// The envelope code for framework errors, by status.
    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "payload_too_large"
        case .badRequest: "bad_request"
        case .unsupportedMediaType: "unsupported_media_type"
        case .unprocessableContent: "validation_failed"
        case .tooManyRequests: "rate_limited"
        case .requestTimeout: "request_timeout"
        default: status.code >= 500 ? "internal_error" : "http_\(status.code)"
        }
    }

    /// The field (a dotted path) and message of a decoding failure, in words a client can act on.
    static func describe(_ error: DecodingError) -> (String, String) {
        func path(_ context: DecodingError.Context, _ last: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (last.map { [$0] } ?? [])
            let joined = keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return (path(context, key), "This field is required.")
        case .valueNotFound(_, let context): return (path(context), "This field may not be null.")
        case .typeMismatch(let type, let context): return (path(context), "Expected \(describe(type)).")
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? ("body", "The body is not valid JSON.") : (path(context), context.debugDescription)
        @unknown default: return ("body", "The body could not be read.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Decimal.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        // A dictionary is a Collection too: a body or field that should be an object reports one.
        default: String(describing: type).hasPrefix("Dictionary<") || !(type is any Collection.Type) ? "an object" : "an array"
        }
    }
}
