import Foundation
import Hummingbird
import WLDomain
import WLPorts
public import WLServices

/// `POST /sms` and `POST /sms/quote`, plus ``MessageRoutes`` for `GET /sms`, `GET /sms/{message_id}` and the cancel
/// endpoints.
public struct SMSController: Sendable {
    let sms: SMSService
    let optOuts: OptOutService

    public init(sms: SMSService, optOuts: OptOutService) {
        self.sms = sms
        self.optOuts = optOuts
    }

    /// Adds the routes to `group` (behind the API-key middleware).
    public func addRoutes(to group: RouteRegistrar) {
        group.post("sms", use: send)
        group.post("sms/quote", use: quote)
        OptOutRoutes(optOuts: optOuts).addRoutes(to: group)
        MessageRoutes(service: sms).addRoutes(to: group)
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: SMSRequest.self, context: context)
        let firm = try context.firm()
        let result = try await sms.send(body, firm: firm)
        return ScheduledView(result, timezone: firm.timezone).accepted(message: "SMS scheduled successfully.")
    }

    @Sendable func quote(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<QuoteView> {
        let body = try await request.decodeJSON(as: SMSRequest.self, context: context)
        let firm = try context.firm()
        return SuccessEnvelope(data: QuoteView(try await sms.quote(body, firm: firm), timezone: firm.timezone))
    }
}

extension Request {
    /// The query string's parameters; the first wins when a name repeats.
    var queryDictionary: [String: String] {
        var result: [String: String] = [:]
        for (name, value) in uri.queryParameters where result[String(name)] == nil { result[String(name)] = String(value) }
        return result
    }

    /// The query string's parameters, refusing any not in `known`: a misspelt filter (`?limt=1`, `?stauts=failed`)
    /// must not silently answer the whole list, as an unknown body field is refused too.
    /// - Throws: `.validation` naming each unknown parameter.
    func queryDictionary(allowing known: Set<String>) throws -> [String: String] {
        let query = queryDictionary
        let unknown = query.keys.filter { !known.contains($0) }.sorted()
        var seen: Set<String> = []
        // A filter given twice (`?status=failed&status=delivered`) would silently use one of them.
        let repeated = Set(uri.queryParameters.map { String($0.0) }.filter { !seen.insert($0).inserted && known.contains($0) })
        guard unknown.isEmpty, repeated.isEmpty else {
            let expected = "Unknown query parameter; this endpoint takes \(known.sorted().joined(separator: ", "))."
            var fields = Dictionary(uniqueKeysWithValues: unknown.prefix(20).map { ($0, [expected]) })
            for name in repeated { fields[name] = ["Given more than once; give it once."] }
            throw DomainError(.validation, "The query is not valid.", fields: fields)
        }
        return query
    }
}

extension AppRequestContext {
    /// The `message_id` path parameter; an id that is not a number is simply not found.
    func messageID() throws -> Int64 {
        guard let raw = parameters.get("message_id"), let id = Int64(raw) else {
            throw DomainError(.notFound, "No message with that id.")
        }
        return id
    }
}
