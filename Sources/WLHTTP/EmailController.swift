import Foundation
import Hummingbird
import WLDomain
public import WLServices

/// `POST /email`, plus ``MessageRoutes`` for `GET /email`, `GET /email/{message_id}` and the cancel endpoints.
public struct EmailController: Sendable {
    let email: EmailService

    public init(email: EmailService) {
        self.email = email
    }

    /// Adds the routes to `group` (behind the API-key middleware).
    public func addRoutes(to group: RouteRegistrar) {
        group.post("email", use: send)
        MessageRoutes(service: email).addRoutes(to: group)
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: EmailRequest.self, context: context)
        let firm = try context.firm()
        let result = try await email.send(body, firm: firm)
        return ScheduledView(result, channel: .email, timezone: firm.timezone).accepted(message: "Emails scheduled successfully.")
    }
}
