import HTTPTypes
import Hummingbird
import WLDomain
import WLServices

/// The console's Password page: the signed-in user changes their own password.
extension ConsolePages {
    @Sendable func passwordPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        passwordResponse(try context.requireConsole(), request: request.queryDictionary, error: nil, status: .ok)
    }

    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireConsole()
        let form = try await ConsoleForm.checked(request, context: context)
        guard form["new_password"] == form["new_password_confirm"] else {
            return passwordResponse(identity, error: "The two new passwords differ.", status: .unprocessableContent)
        }
        if let refused = try await tooManyPasswordChecks(context, page: { passwordResponse(identity, error: $0, status: .tooManyRequests) }) {
            return refused
        }
        do {
            _ = try await console.accounts.changePassword(
                identity, current: form["current_password"] ?? "", new: form["new_password"] ?? "", origin: context.auditOrigin)
            return ConsoleRenderer.redirect("/console/password?done=password-changed")
        } catch let error as DomainError where error.code == .validation {
            if error.fields["current_password"] != nil { _ = try await api.limiter.authenticationFailed(from: context.clientAddress) }
            let detail = error.fields.sorted { $0.key < $1.key }.flatMap(\.value).joined(separator: ", ")
            return passwordResponse(identity, error: error.message + (detail.isEmpty ? "" : " (\(detail))"), status: .unprocessableContent)
        } catch let error as DomainError where error.code == .accountLocked || error.code == .conflict {
            var response = passwordResponse(
                identity, error: error.message, status: error.code == .conflict ? .conflict : .tooManyRequests)
            if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        }
    }

    private func passwordResponse(
        _ identity: ConsoleIdentity, request: [String: String] = [:], error: String?, status: HTTPResponse.Status
    ) -> Response {
        var page = PageChrome.context(identity, title: "Password", current: "/console/password", request: request)
        if let error { page["error"] = error }
        return ConsoleRenderer.page("password", page, status: status)
    }
}
