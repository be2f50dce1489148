import Crypto
public import Foundation
import HTTPTypes
public import Hummingbird
public import WLDomain
public import WLPorts

/// `Idempotency-Key` on every POST behind the API key, as Stripe does it: the first response (status and body) is
/// kept for 24 hours, per firm, and replayed byte for byte to a retry with the same key (with `Idempotent-Replayed:
/// true`); the same key with another method, path or body → 422; a retry while the first is still running → 409.
/// A 5xx or a 429 is not kept: the key is released, so the retry runs again (a limit passes; a replayed 429 would not). A replay never runs the handler, so it never
/// sends, charges or starts an STK push again.
public struct IdempotencyMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    /// How long a response is kept.
    public static let expiry: TimeInterval = 86_400
    /// A claim this old that never completed belonged to a request that died; a retry of the same request takes it
    /// over. Far longer than any request may run (a purchase that waits out every Daraja timeout takes about six
    /// minutes, docs/payments.md).
    public static let staleAfter: TimeInterval = 600
    /// The longest key accepted.
    public static let maximumKeyLength = 255

    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    let store: any IdempotencyStore
    let time: any TimeSource

    public init(store: any IdempotencyStore, time: any TimeSource) {
        self.store = store
        self.time = time
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard request.method == .post, let key = request.headers[Self.header], let firmID = context.authentication?.firm.id else {
            return try await next(request, context)
        }
        guard !key.isEmpty, key.count <= Self.maximumKeyLength, key.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw DomainError(
                .validation, "Idempotency-Key must be 1 to \(Self.maximumKeyLength) printable ASCII characters without spaces.",
                fields: ["Idempotency-Key": ["1 to \(Self.maximumKeyLength) printable ASCII characters, e.g. a UUID."]])
        }
        var request = request
        let body = try await request.bodyData(context: context)
        request.body = .init(buffer: ByteBuffer(bytes: body))
        var digest = SHA256()
        digest.update(data: Data("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        digest.update(data: body)
        let hash = digest.finalize().hex
        let claimedAt = time.now
        switch try await store.claimIdempotencyKey(
            firmID: firmID, key: key, requestHash: hash, now: claimedAt, staleAfter: Self.staleAfter, expiry: Self.expiry)
        {
        case .replay(let status, let stored):
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8", Self.replayed: "true"],
                body: .init(byteBuffer: ByteBuffer(string: stored)))
        case .mismatch:
            throw DomainError(.validation, "This Idempotency-Key was used with a different request; use a new key for a new request.")
        case .inFlight:
            throw DomainError(.conflict, "A request with this Idempotency-Key is still being processed; retry in a moment.")
        case .proceed:
            break
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try ErrorMiddleware.response(for: error, context: context)
        }
        return try await finish(response, firmID: firmID, key: key, claimedAt: claimedAt, context: context)
    }

    /// Keeps a response below 500 other than 409 and 429 for replay (releases the key otherwise: each says nothing
    /// was done and a retry with the same key may succeed, which a stored copy would refuse for 24 h) and returns it
    /// with its body
    /// in one buffer. The response is returned even when keeping it fails: what the request did is done (a blast
    /// accepted and charged), and an error would tell the client to send it again; the key stays claimed until
    /// ``staleAfter`` and a retry meanwhile gets 409.
    private func finish(
        _ response: Response, firmID: Int64, key: String, claimedAt: Date, context: AppRequestContext
    ) async throws -> Response {
        var response = response
        let collector = BodyCollector()
        try await response.body.write(collector.writer())
        let buffer = collector.buffer
        response.body = .init(byteBuffer: buffer)
        do {
            if response.status.code >= 500 || response.status == .tooManyRequests || response.status == .conflict {
                try await store.releaseIdempotencyKey(firmID: firmID, key: key, claimedAt: claimedAt)
            } else {
                try await store.completeIdempotencyKey(
                    firmID: firmID, key: key, claimedAt: claimedAt, status: Int(response.status.code), body: String(buffer: buffer), now: time.now)
            }
        } catch {
            context.logger.warning(
                "could not keep an idempotent response; the key stays claimed until it is stale",
                metadata: ["status": "\(response.status.code)", "error": "\(error)"])
        }
        return response
    }
}

/// Collects a response body into one buffer.
struct BodyCollector {
    final class Sink: @unchecked Sendable {
        var buffer = ByteBuffer()
    }

    let sink = Sink()
    var buffer: ByteBuffer { sink.buffer }

    func writer() -> some ResponseBodyWriter { Writer(sink: sink) }

    struct Writer: ResponseBodyWriter {
        let sink: Sink

        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            sink.buffer.writeBuffer(&buffer)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
