import Foundation
import Hummingbird

/// Serves an OpenAPI document (`openapi/communication.yaml` for the public API, `openapi/manage.yaml` for the
/// management API; bundled at build time).
public struct OpenAPIController: Sendable {
    let document: String?

    /// - Parameter name: The bundled document's name without `.yaml`.
    public init(name: String = "communication") {
        document = name == "manage" ? Self.manage : Self.communication
    }

    static let communication = load("communication")
    static let manage = load("manage")

    /// The document's text, or `nil` when the resource bundle is missing.
    static func load(_ name: String) -> String? {
        Bundle.module.url(forResource: name, withExtension: "yaml").flatMap { try? String(contentsOf: $0, encoding: .utf8) }
    }

    /// Adds `GET openapi.yaml` to `router` (no API key needed).
    public func addRoutes(to router: RouteRegistrar) {
        router.get("openapi.yaml") { [document] _, _ in
            guard let document else { throw HTTPError(.notFound, message: "The OpenAPI document is not bundled.") }
            return Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: document)))
        }
    }
}
