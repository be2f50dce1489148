import Foundation
import Hummingbird

/// Serves the OpenAPI document (`openapi/communication.yaml`, bundled at build time).
public struct OpenAPIController: Sendable {
    public init() {}

    /// The document's text, or `nil` when the resource bundle is missing.
    static let document: String? = Bundle.module.url(forResource: "communication", withExtension: "yaml")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }

    /// Adds `GET openapi.yaml` to `router` (no API key needed).
    public func addRoutes(to router: RouteRegistrar) {
        router.get("openapi.yaml") { _, _ in
            guard let document = Self.document else { throw HTTPError(.notFound, message: "The OpenAPI document is not bundled.") }
            return Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: document)))
        }
    }
}
