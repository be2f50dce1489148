import Foundation
import HTTPTypes
import Hummingbird
import WLDomain
public import WLServices

/// The open pixel and tracked links of emails, outside the API's base path and without an API key:
/// `GET /t/o/{token}.gif` answers a transparent 1×1 GIF and `GET /t/c/{token}` a 302 to the URL the token was signed
/// for. A token that does not verify is 404, so nothing can be forged and no other URL is ever redirected to.
///
/// Hits with a good token count against the client address's tracking limit (``LimitSettings/tracking``). Over it
/// the answer is the same pixel or redirect, so no email client breaks and every click still reaches its link, but the
/// hit is not counted and the database is not touched.
public struct TrackingController: Sendable {
    let email: EmailService
    let keyring: TrackingKeyring
    let limiter: RateLimiter?

    public init(email: EmailService, keyring: TrackingKeyring, limiter: RateLimiter? = nil) {
        self.email = email
        self.keyring = keyring
        self.limiter = limiter
    }

    /// The smallest transparent GIF (43 bytes).
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    public func addRoutes(to router: RouteRegistrar) {
        router.get("t/o/:file", use: open)
        router.get("t/c/:token", use: click)
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let file = context.parameters.get("file"), file.hasSuffix(".gif"), let event = keyring.signer?.event(from: String(file.dropLast(4))),
            case .open = event, try await count(event, context: context)
        else { throw DomainError(.notFound, "Not Found") }
        return Response(
            status: .ok, headers: [.contentType: "image/gif", .cacheControl: "no-store, max-age=0"],
            body: .init(byteBuffer: ByteBuffer(bytes: Self.pixel)))
    }

    /// A signed link always takes the reader to its URL: counting the click is second, and a message no longer kept
    /// (retention, erasure) or a database away does not break the link in the reader's email.
    @Sendable func click(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let token = context.parameters.get("token"), let event = keyring.signer?.event(from: token), case .click(_, let url) = event
        else { throw DomainError(.notFound, "Not Found") }
        do {
            _ = try await count(event, context: context)
        } catch {
            context.logger.warning("a click was not counted", metadata: ["error": "\(error)"])
        }
        return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
    }

    /// Counts the hit unless its client address is over the tracking limit; `false` for an unknown email.
    private func count(_ event: TrackingEvent, context: AppRequestContext) async throws -> Bool {
        if let decision = try await limiter?.trackingHit(from: context.clientAddress), !decision.allowed {
            context.logger.debug("tracking hit over the limit, not counted", metadata: ["client": "\(context.clientAddress)"])
            return true
        }
        return try await email.track(event) != nil
    }
}
