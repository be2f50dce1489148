import Foundation
import Hummingbird
import WLDomain
import WLPorts
import WLServices

/// The platform admin's pages: firms (list, create, change rate, status, expiry and sender IDs, adjust credits) and
/// the audit log.
struct AdminPages: Sendable {
    let console: ConsoleDependencies

    func addRoutes(to group: RouteRegistrar) {
        group.get("firms", use: { try await firms($0, $1) })
        group.post("firms", use: createFirm)
        group.get("firms/:firm_id", use: { try await firm($0, $1) })
        group.post("firms/:firm_id", use: updateFirm)
        group.post("firms/:firm_id/credits", use: adjustCredits)
        group.post("firms/:firm_id/invite", use: inviteOwner)
        group.get("audit", use: audit)
    }

    func firms(
        _ request: Request, _ context: AppRequestContext, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws
        -> Response
    {
        var page = PageChrome.context(try context.requireConsole(), title: "Firms", current: "/console/admin/firms", request: request.queryDictionary)
        page["firms"] = try await console.admin.firms().map { firm -> [String: Any] in
            [
                "id": firm.id, "slug": firm.slug, "name": firm.name, "status": firm.status.rawValue, "mode": firm.mode.rawValue,
                "smsRate": firm.smsRate.description, "balance": firm.smsCredits.description, "href": "/console/admin/firms/\(firm.id)",
            ]
        }
        page.merge(extra) { $1 }
        return ConsoleRenderer.page("admin-firms", page, status: status)
    }

    @Sendable func createFirm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        do {
            guard let rate = KES(form["sms_rate"] ?? ""), rate.cents > 0 else {
                throw DomainError(.validation, "Give the SMS rate in KES per credit, such as 1.80.", fields: ["sms_rate": ["invalid"]])
            }
            let new = try NewFirm(
                slug: form["slug"] ?? "", name: form["name"] ?? "", smsRate: rate, mode: FirmMode(rawValue: form["mode"] ?? "") ?? .live)
            let firm = try await console.actions.createFirm(new, origin: context.auditOrigin)
            return ConsoleRenderer.redirect("/console/admin/firms/\(firm.id)?done=firm-created")
        } catch let error as DomainError where [.validation, .duplicate].contains(error.code) {
            return try await firms(request, context, extra: ["error": Self.describe(error)], status: .unprocessableContent)
        }
    }

    func firm(
        _ request: Request, _ context: AppRequestContext, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws
        -> Response
    {
        let firm = try await adminFirm(context)
        var page = PageChrome.context(
            try context.requireConsole(), title: firm.name, current: "/console/admin/firms", request: request.queryDictionary)
        page["firm"] = [
            "id": firm.id, "slug": firm.slug, "name": firm.name, "status": firm.status.rawValue, "mode": firm.mode.rawValue,
            "smsRate": firm.smsRate.description, "balance": firm.smsCredits.description,
            "subscriptionExpiresAt": firm.subscriptionExpiresAt.map { String(FirmTime.format($0, timezone: "Africa/Nairobi").prefix(10)) } ?? "",
            "senderIDTransactional": firm.senderIDs.transactional?.value ?? "", "senderIDPromotional": firm.senderIDs.promotional?.value ?? "",
            "isActive": firm.status == .active,
        ]
        page.merge(extra) { $1 }
        return ConsoleRenderer.page("admin-firm", page, status: status)
    }

    @Sendable func updateFirm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        let current = try await adminFirm(context)
        do {
            var values: [String: String?] = [:]
            for field in FirmPatchBody.fields where form[field] != nil { values[field] = form[field] }
            let change = try FirmChange(values, current: current)
            _ = try await console.actions.updateFirm(
                id: current.id, change.update, detail: change.detail.joined(separator: " "), origin: context.auditOrigin)
            return ConsoleRenderer.redirect("/console/admin/firms/\(current.id)?done=firm-saved")
        } catch let error as DomainError where error.code == .validation {
            return try await firm(request, context, extra: ["error": Self.describe(error)], status: .unprocessableContent)
        }
    }

    @Sendable func adjustCredits(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        let current = try await adminFirm(context)
        do {
            guard let amount = Credits(form["amount"] ?? "") else {
                throw DomainError(.validation, "Give the credits to add (or, negative, to remove).", fields: ["amount": ["invalid"]])
            }
            _ = try await console.actions.adjustCredits(firmID: current.id, amount: amount, reason: form["reason"] ?? "", origin: context.auditOrigin)
            return ConsoleRenderer.redirect("/console/admin/firms/\(current.id)?done=credits-adjusted")
        } catch let error as DomainError where [.validation, .insufficientCredits].contains(error.code) {
            return try await firm(request, context, extra: ["error": Self.describe(error)], status: .unprocessableContent)
        }
    }

    @Sendable func inviteOwner(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        let current = try await adminFirm(context)
        do {
            let (_, token) = try await console.accounts.invite(
                email: form["email"] ?? "", role: .owner, firmID: current.id, origin: context.auditOrigin)
            return try await firm(
                request, context,
                extra: [
                    "inviteURL": InviteLink.url(token, request: request, publicURL: console.publicURL),
                    "notice": "Invitation made. Send this link: it is shown only now and works for 72 hours.",
                ])
        } catch let error as DomainError where error.code == .validation || error.code == .duplicate {
            return try await firm(request, context, extra: ["error": Self.describe(error)], status: .unprocessableContent)
        }
    }

    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.queryDictionary
        let before = query["starting_after"].flatMap(Int64.init)
        let entries = try await console.queries.audit(firmID: nil, limit: 51, startingAfter: before)
        var page = PageChrome.context(try context.requireConsole(), title: "Audit log", current: "/console/admin/audit", request: [:])
        page["entries"] = entries.prefix(50).map { entry -> [String: Any] in
            [
                "at": PageChrome.time(entry.at, timezone: "UTC"), "actor": entry.actor, "action": entry.action,
                "firmID": entry.firmID.map(String.init) ?? "", "detail": entry.detail, "clientAddress": entry.clientAddress,
            ]
        }
        if entries.count > 50, let last = entries.prefix(50).last { page["nextHref"] = "/console/admin/audit?starting_after=\(last.id)" }
        return ConsoleRenderer.page("audit", page)
    }

    private func adminFirm(_ context: AppRequestContext) async throws -> Firm {
        guard let id = context.parameters.get("firm_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such firm.") }
        return try await console.admin.firm(String(id))
    }

    static func describe(_ error: DomainError) -> String {
        let detail = error.fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }.joined(separator: "; ")
        return detail.isEmpty ? error.message : "\(error.message) \(detail)"
    }
}
