import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The console's templates (`Resources/Console/*.mustache`, read once) and how a page goes out: HTML with headers
/// that keep it out of frames and caches and allow only our own scripts and styles.
enum ConsoleRenderer {
    static let directory = Bundle.module.url(forResource: "Console", withExtension: nil)

    static let library: MustacheLibrary = {
        var templates: [String: MustacheTemplate] = [:]
        guard let directory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
        else { return MustacheLibrary() }
        for name in names where name.hasSuffix(".mustache") {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8),
                let template = try? MustacheTemplate(string: text)
            else { continue }
            templates[String(name.dropLast(".mustache".count))] = template
        }
        return MustacheLibrary(templates: templates)
    }()

    /// The stylesheet and script, by file name.
    static let assets: [String: (type: String, body: String)] = {
        var assets: [String: (String, String)] = [:]
        for (name, type) in [("console.css", "text/css; charset=utf-8"), ("console.js", "text/javascript; charset=utf-8")] {
            if let directory, let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) {
                assets[name] = (type, text)
            }
        }
        return assets
    }()

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    /// The page `template` rendered with `context`, as a response with `status`.
    static func page(_ template: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(context, withTemplate: template) ?? "<!doctype html><title>Missing page</title><p>Template \(template) is missing."
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 303 to `location` (after a form).
    static func redirect(_ location: String, cookies: [Cookie] = []) -> Response {
        var response = Response.redirect(to: location, type: .normal)
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }
}
