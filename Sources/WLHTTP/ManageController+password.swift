import Hummingbird
import WLDomain

extension ManageController {
    struct PasswordChange: Decodable {
        var currentPassword: String
        var newPassword: String
        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case newPassword = "new_password"
        }
    }

    struct PasswordChanged: Encodable, Sendable {
        var otherSessionsEnded: Int
        enum CodingKeys: String, CodingKey { case otherSessionsEnded = "other_sessions_ended" }
    }

    /// `POST /me/password`: the signed-in user's own password; every other session of theirs ends.
    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PasswordChanged> {
        let identity = try context.requireConsole()
        let body = try await request.decodeJSON(as: PasswordChange.self, context: context, known: ["current_password", "new_password"])
        if let decision = try await api.limiter.passwordCheck(from: context.clientAddress), !decision.allowed {
            throw RateLimitHeaders.refusal(decision)
        }
        do {
            let ended = try await console.accounts.changePassword(
                identity, current: body.currentPassword, new: body.newPassword, origin: context.auditOrigin)
            return SuccessEnvelope(message: "Password changed.", data: PasswordChanged(otherSessionsEnded: ended))
        } catch let error as DomainError where error.fields["current_password"] != nil {
            // A wrong current password is a failed authentication of this address too.
            _ = try await api.limiter.authenticationFailed(from: context.clientAddress)
            throw error
        }
    }
}
