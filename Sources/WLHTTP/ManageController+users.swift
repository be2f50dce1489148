import Foundation
import Hummingbird
import WLDomain
import WLServices

/// The management API's console users: list, invite, remove, change role; accepting an invitation.
extension ManageController {
    struct UserList: Encodable, Sendable {
        var users: [InvitedUserView]
    }

    @Sendable func users(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<UserList> {
        let users = try await console.queries.users(firmID: try context.firmID())
        return SuccessEnvelope(data: UserList(users: users.map { InvitedUserView(user: $0, inviteURL: nil) }))
    }

    struct InviteRequest: Decodable {
        var email: String
        var role: String
    }

    @Sendable func inviteUser(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<InvitedUserView>> {
        guard try context.requireConsole().user.role == .owner else { throw DomainError(.forbidden, "Only the firm's owner may invite users.") }
        return try await invite(request, context: context, firmID: try context.firmID())
    }

    @Sendable func inviteFirmUser(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<InvitedUserView>> {
        try await invite(request, context: context, firmID: try await adminFirm(context).id)
    }

    private func invite(
        _ request: Request, context: AppRequestContext, firmID: Int64
    ) async throws -> EditedResponse<SuccessEnvelope<InvitedUserView>> {
        let body = try await request.decodeJSON(as: InviteRequest.self, context: context, known: ["email", "role"])
        guard let role = ConsoleRole(rawValue: body.role) else {
            throw DomainError(.validation, "The request is not valid.", fields: ["role": ["owner or developer"]])
        }
        let (user, token) = try await console.accounts.invite(email: body.email, role: role, firmID: firmID, origin: context.auditOrigin)
        return EditedResponse(
            status: .created,
            response: SuccessEnvelope(
                message: "Invitation made. Send the link to the person: it is shown only now and works for 72 hours.",
                data: InvitedUserView(user: user, inviteURL: InviteLink.url(token, request: request, publicURL: console.publicURL))))
    }

    @Sendable func removeUser(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<InvitedUserView> {
        try await remove(context: context, firmID: try context.firmID())
    }

    @Sendable func removeFirmUser(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<InvitedUserView> {
        try await remove(context: context, firmID: try await adminFirm(context).id)
    }

    private func remove(context: AppRequestContext, firmID: Int64) async throws -> SuccessEnvelope<InvitedUserView> {
        guard let id = context.parameters.get("user_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such user.") }
        let user = try await console.accounts.removeUser(id: id, firmID: firmID, by: try context.requireConsole().user, origin: context.auditOrigin)
        return SuccessEnvelope(message: "User removed; their sessions have ended.", data: InvitedUserView(user: user, inviteURL: nil))
    }

    struct RoleRequest: Decodable {
        var role: String
    }

    /// Open to a suspended or expired firm, as it may take access away: there it only demotes.
    @Sendable func changeRole(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<InvitedUserView> {
        try await changeRole(request, context: context, firmID: try context.firmID(), promotesOnlyIfActive: true)
    }

    @Sendable func changeFirmUserRole(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<InvitedUserView> {
        try await changeRole(request, context: context, firmID: try await adminFirm(context).id, promotesOnlyIfActive: false)
    }

    private func changeRole(
        _ request: Request, context: AppRequestContext, firmID: Int64, promotesOnlyIfActive: Bool
    ) async throws -> SuccessEnvelope<InvitedUserView> {
        guard let id = context.parameters.get("user_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such user.") }
        let body = try await request.decodeJSON(as: RoleRequest.self, context: context, known: ["role"])
        guard let role = ConsoleRole(rawValue: body.role) else {
            throw DomainError(.validation, "The request is not valid.", fields: ["role": ["owner or developer"]])
        }
        if promotesOnlyIfActive, role == .owner { try context.requireActiveFirm(at: api.time.now) }
        let user = try await console.accounts.changeRole(
            id: id, firmID: firmID, to: role, by: try context.requireConsole().user, origin: context.auditOrigin)
        return SuccessEnvelope(
            message: "Role changed; it applies from the user's next request.", data: InvitedUserView(user: user, inviteURL: nil))
    }

    struct AcceptRequest: Decodable {
        var token: String
        var password: String
    }

    @Sendable func acceptInvitation(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<UserView> {
        let body = try await request.decodeJSON(as: AcceptRequest.self, context: context, known: ["token", "password"])
        if let decision = try await api.limiter.passwordCheck(from: context.clientAddress), !decision.allowed {
            throw RateLimitHeaders.refusal(decision)
        }
        let user = try await console.accounts.acceptInvitation(SessionToken(body.token), password: body.password, origin: context.auditOrigin)
        return SuccessEnvelope(message: "Password set. Sign in with it.", data: UserView(user))
    }
}
