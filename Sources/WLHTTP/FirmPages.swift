import Foundation
import Hummingbird
import WLDomain
import WLPorts
import WLServices

/// A firm user's pages: API Integration (keys, webhook, test event, delivery log), Credits (balance, M-Pesa purchase,
/// ledger), Messages (lists, filters, chart, one message's timeline) and Contacts (CSV import).
struct FirmPages: Sendable {
    let console: ConsoleDependencies
    let api: APIDependencies

    func addRoutes(to group: RouteRegistrar) {
        group.get("integration", use: { try await integration($0, $1) })
        group.post("integration/keys", use: createKey)
        group.post("integration/webhook", use: saveWebhook)
        group.post("integration/webhook/secret", use: rotateSecret)
        group.post("integration/webhook/test", use: sendTest)
        group.post("integration/webhook/deliveries/:delivery_id/redeliver", use: redeliver)
        group.get("credits", use: credits)
        group.post("credits/purchase", use: purchase)
        group.get("credits/purchases/:payment_id", use: purchaseStatus)
        group.get("messages", use: messages)
        group.get("messages/:channel/:message_id", use: message)
        group.get("blasts/:blast_id", use: blast)
        group.get("contacts", use: { try await contacts($0, $1) })
        group.post("contacts/import", use: importContacts)
        group.get("users", use: { try await users($0, $1) })
        group.post("users/invite", use: invite)
    }

    /// The routes that only take access away, which a suspended or expired firm may still use (see
    /// ``FirmUserMiddleware``).
    func addRevocationRoutes(to group: RouteRegistrar) {
        group.post("integration/keys/:key_id/revoke", use: revokeKey)
        group.post("users/:user_id/remove", use: removeUser)
        group.post("users/:user_id/role", use: changeRole)
    }

    // MARK: Users

    func users(
        _ request: Request, _ context: AppRequestContext, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws
        -> Response
    {
        let identity = try context.requireConsole()
        var page = PageChrome.context(identity, title: "Users", current: "/console/users", request: request.queryDictionary)
        let isOwner = identity.user.role == .owner
        page["users"] = try await console.queries.users(firmID: try context.firmID()).map { user -> [String: Any] in
            [
                "id": user.id, "email": user.email, "role": user.role.rawValue, "pending": user.isInvitationPending,
                "removable": isOwner && user.id != identity.user.id,
                "otherRole": user.role == .owner ? "developer" : "owner",
            ]
        }
        page["canInvite"] = isOwner
        page.merge(extra) { $1 }
        return ConsoleRenderer.page("users", page, status: status)
    }

    @Sendable func removeUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await ConsoleForm.checked(request, context: context)
        guard let id = context.parameters.get("user_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such user.") }
        _ = try await console.accounts.removeUser(
            id: id, firmID: try context.firmID(), by: try context.requireConsole().user, origin: context.auditOrigin)
        return ConsoleRenderer.redirect("/console/users?done=user-removed")
    }

    @Sendable func changeRole(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        guard let id = context.parameters.get("user_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such user.") }
        guard let role = ConsoleRole(rawValue: form["role"] ?? "") else { throw DomainError(.validation, "The role is owner or developer.") }
        // Open to a suspended or expired firm, as it may take access away: there it only demotes.
        if role == .owner { try context.requireActiveFirm(at: api.time.now) }
        _ = try await console.accounts.changeRole(
            id: id, firmID: try context.firmID(), to: role, by: try context.requireConsole().user, origin: context.auditOrigin)
        return ConsoleRenderer.redirect("/console/users?done=role-changed")
    }

    @Sendable func invite(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        guard try context.requireConsole().user.role == .owner else { throw DomainError(.forbidden, "Only the firm's owner may invite users.") }
        do {
            let role = ConsoleRole(rawValue: form["role"] ?? "") ?? .developer
            let (_, token) = try await console.accounts.invite(
                email: form["email"] ?? "", role: role, firmID: try context.firmID(), origin: context.auditOrigin)
            return try await users(
                request, context,
                extra: [
                    "inviteURL": InviteLink.url(token, request: request, publicURL: console.publicURL),
                    "notice": "Invitation made. Send this link: it is shown only now and works for 72 hours.",
                ])
        } catch let error as DomainError where error.code == .validation || error.code == .duplicate {
            return try await users(request, context, extra: ["error": AdminPages.describe(error)], status: .unprocessableContent)
        }
    }

    // MARK: API Integration

    func integration(_ request: Request, _ context: AppRequestContext, extra: [String: Any] = [:]) async throws -> Response {
        let identity = try context.requireConsole()
        let firm = try context.firm()
        var page = PageChrome.context(identity, title: "API Integration", current: "/console/integration", request: request.queryDictionary)
        page["keys"] = try await console.admin.keys(firm: String(firm.id)).map { key -> [String: Any] in
            [
                "id": key.id, "prefix": key.displayPrefix, "label": key.label, "createdAt": PageChrome.time(key.createdAt, timezone: firm.timezone),
                "lastUsedAt": PageChrome.time(key.lastUsedAt, timezone: firm.timezone), "revoked": key.revokedAt != nil,
                "revokedAt": PageChrome.time(key.revokedAt, timezone: firm.timezone),
            ]
        }
        if let webhook = try await api.store.webhook(firmID: firm.id) {
            var settings: [String: Any] = ["url": webhook.url, "hasSecret": webhook.secret != nil]
            if let reason = webhook.disabledReason { settings["disabledReason"] = reason }
            page["webhook"] = settings
        }
        page["deliveries"] = try await api.webhooks.deliveries(firmID: firm.id, filter: WebhookDeliveryFilter(), limit: 20, startingAfter: nil)
            .deliveries
            .map { delivery -> [String: Any] in
                [
                    "id": delivery.id, "event": delivery.event, "status": delivery.status.rawValue, "attempts": delivery.attemptCount,
                    "lastStatusCode": delivery.attempts.last?.statusCode.map(String.init) ?? "",
                    "createdAt": PageChrome.time(delivery.createdAt, timezone: firm.timezone),
                ]
            }
        page.merge(extra) { $1 }
        return ConsoleRenderer.page("integration", page)
    }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        do {
            let (key, _) = try await console.actions.createKey(firm: try context.firm(), label: form["label"] ?? "", origin: context.auditOrigin)
            return try await integration(
                request, context, extra: ["newKey": key.secret, "notice": "Key created. Copy it now: it is not shown again."])
        } catch let error as DomainError where error.code == .validation {
            return try await integration(request, context, extra: ["error": error.message])
        }
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await ConsoleForm.checked(request, context: context)
        guard let id = context.parameters.get("key_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such key.") }
        _ = try await console.actions.revokeKey(firm: try context.firm(), keyID: id, origin: context.auditOrigin)
        return ConsoleRenderer.redirect("/console/integration?done=key-revoked")
    }

    @Sendable func saveWebhook(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        do {
            _ = try await console.actions.setWebhookURL(firm: try context.firm(), url: form["url"] ?? "", origin: context.auditOrigin)
            return ConsoleRenderer.redirect("/console/integration?done=webhook-saved")
        } catch let error as DomainError where error.code == .validation {
            return try await integration(request, context, extra: ["error": error.message])
        }
    }

    @Sendable func rotateSecret(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await ConsoleForm.checked(request, context: context)
        do {
            let secret = try await console.actions.rotateWebhookSecret(firm: try context.firm(), origin: context.auditOrigin)
            return try await integration(
                request, context,
                extra: [
                    "newSecret": secret,
                    "notice":
                        "New signing secret. Copy it now: it is not shown again. X-WL-Signature uses it at once: switch your receiver now "
                        + "(for 24 hours webhook-signature also carries a signature with the old one).",
                ])
        } catch let error as DomainError where error.code == .conflict {
            return try await integration(request, context, extra: ["error": error.message])
        }
    }

    @Sendable func sendTest(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await ConsoleForm.checked(request, context: context)
        let firm = try context.firm()
        try await WebhooksController.admitTest(firm: firm, limiter: api.limiter)
        do {
            let result = try await api.webhooks.sendTest(firm: firm)
            let text =
                result.succeeded
                ? "Test event delivered: your endpoint answered \(result.statusCode.map(String.init) ?? "")."
                : "Test event not delivered: \(result.error ?? "your endpoint answered \(result.statusCode.map(String.init) ?? "nothing")")."
            return try await integration(request, context, extra: ["testResult": text])
        } catch let error as DomainError where error.code == .conflict {
            return try await integration(request, context, extra: ["error": error.message])
        }
    }

    @Sendable func redeliver(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await ConsoleForm.checked(request, context: context)
        guard let id = context.parameters.get("delivery_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No such delivery.") }
        _ = try await api.webhooks.redeliver(firmID: try context.firmID(), deliveryID: id)
        return ConsoleRenderer.redirect("/console/integration?done=redelivered")
    }

    // MARK: Credits

    @Sendable func credits(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await creditsPage(request, context)
    }

    func creditsPage(
        _ request: Request, _ context: AppRequestContext, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws
        -> Response
    {
        let identity = try context.requireConsole()
        let firm = try await console.admin.firm(String(try context.firmID()))
        var page = PageChrome.context(identity, title: "Credits", current: "/console/credits", request: request.queryDictionary)
        page["balance"] = firm.smsCredits.description
        page["smsRate"] = firm.smsRate.description
        page["canBuy"] = identity.user.role == .owner
        page["ledger"] = try await api.payments.transactions(firmID: firm.id, limit: 50, startingAfter: nil).map { entry -> [String: Any] in
            [
                "createdAt": PageChrome.time(entry.createdAt, timezone: firm.timezone), "kind": entry.kind.rawValue,
                "amount": entry.amount.description, "reference": entry.reference,
            ]
        }
        page.merge(extra) { $1 }
        return ConsoleRenderer.page("credits", page, status: status)
    }

    @Sendable func purchase(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        guard try context.requireConsole().user.role == .owner else { throw DomainError(.forbidden, "Only the firm's owner may buy credits.") }
        guard let amount = Int64(form["amount"] ?? "") else {
            return try await creditsPage(request, context, extra: ["error": "Give the amount in whole shillings."], status: .unprocessableContent)
        }
        do {
            let view = try await api.payments.purchase(
                PurchaseRequest(phone: form["phone_number"] ?? "", amount: amount), firm: try context.firm())
            return ConsoleRenderer.redirect("/console/credits/purchases/\(view.payment.id)")
        } catch let error as DomainError where [.validation, .rateLimited, .paymentProviderUnavailable].contains(error.code) {
            let detail = error.fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }.joined(separator: "; ")
            return try await creditsPage(
                request, context, extra: ["error": detail.isEmpty ? error.message : "\(error.message) \(detail)"], status: .unprocessableContent)
        }
    }

    @Sendable func purchaseStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireConsole()
        let firm = try context.firm()
        guard let id = context.parameters.get("payment_id").flatMap(Int64.init) else { throw DomainError(.notFound, "No payment with that id.") }
        let view = try await api.payments.payment(id: id, firm: firm)
        let payment = view.payment
        var page = PageChrome.context(identity, title: "M-Pesa purchase", current: "/console/credits", request: [:])
        let pending = payment.status == .pending
        page["payment"] = [
            "id": payment.id, "status": payment.status.rawValue, "amount": payment.amount.description,
            "credits": (payment.creditsApplied == .zero ? payment.estimatedCredits : payment.creditsApplied).description,
            "phoneNumber": payment.phone, "receipt": payment.receipt ?? "",
        ]
        page["pending"] = pending
        if pending { page["refresh"] = "2" }
        return ConsoleRenderer.page("purchase", page)
    }

    // MARK: Messages

    @Sendable func messages(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireConsole()
        let firm = try context.firm()
        var query = request.queryDictionary
        let channel = Channel(rawValue: query["channel"] ?? "sms") ?? .sms
        query["channel"] = nil
        query = query.filter { !$0.value.isEmpty }
        var page = PageChrome.context(identity, title: "Messages", current: "/console/messages", request: query)
        query["done"] = nil
        let filter = try MessageQuery(query, channel: channel)
        let service: any MessagingService = channel == .sms ? api.sms : api.email
        let listed = try await service.list(firmID: firm.id, filter: filter.filter, limit: filter.limit, startingAfter: filter.startingAfter)
        let shown = listed.messages
        page["channel"] = channel.rawValue
        page["channels"] = Channel.allCases.map { ["value": $0.rawValue, "selected": $0 == channel] }
        page["statusFilter"] = query["status"] ?? ""
        page["phoneFilter"] = query["phone"] ?? ""
        page["statuses"] = ([""] + MessageStatus.allCases.map(\.rawValue)).map { ["value": $0, "selected": $0 == (query["status"] ?? "")] }
        page["messages"] = shown.map { message -> [String: Any] in
            [
                "id": message.id, "to": message.recipient, "status": message.status.rawValue, "category": message.category.rawValue,
                "createdAt": PageChrome.time(message.createdAt, timezone: firm.timezone),
                "href": "/console/messages/\(channel.rawValue)/\(message.id)",
            ]
        }
        if let nextStartingAfter = listed.nextStartingAfter {
            var next = query
            next["channel"] = channel.rawValue
            next["starting_after"] = String(nextStartingAfter)
            page["nextHref"] = "/console/messages?" + FormEncoding.encode(next.sorted { $0.key < $1.key })
        }
        if channel == .sms {
            page["chartSVG"] = DeliveryChart.svg(try await console.queries.deliveryStats(firmID: firm.id, days: 14))
        }
        return ConsoleRenderer.page("messages", page)
    }

    @Sendable func message(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireConsole()
        let firm = try context.firm()
        guard let channel = context.parameters.get("channel").flatMap(Channel.init(rawValue:)) else {
            throw DomainError(.notFound, "No message with that id.")
        }
        let (message, events) = try await console.queries.timeline(firmID: firm.id, messageID: try context.messageID(), channel: channel)
        var page = PageChrome.context(identity, title: "Message \(message.id)", current: "/console/messages", request: [:])
        page["message"] = [
            "id": message.id, "to": message.recipient, "status": message.status.rawValue, "category": message.category.rawValue,
            "body": message.body, "segments": message.segments, "credits": message.credits.description,
            "createdAt": PageChrome.time(message.createdAt, timezone: firm.timezone), "provider": message.network ?? "",
            "blastHref": "/console/blasts/\(message.blastID)", "blastID": message.blastID,
        ]
        page["events"] = events.map { event -> [String: Any] in
            ["at": PageChrome.time(event.occurredAt, timezone: firm.timezone), "status": event.status.rawValue, "detail": event.response]
        }
        return ConsoleRenderer.page("message", page)
    }

    @Sendable func blast(_ request: Request, context: AppRequestContext) async throws -> Response {
        let firm = try context.firm()
        let summary = try await console.queries.blast(firmID: firm.id, blastID: try context.parameters.require("blast_id"))
        var page = PageChrome.context(try context.requireConsole(), title: "Blast \(summary.blastID)", current: "/console/messages", request: [:])
        page["blast"] = [
            "channel": summary.channel.rawValue, "reference": summary.reference ?? "", "credits": summary.credits.description,
            "total": summary.counts.values.reduce(0, +), "createdAt": PageChrome.time(summary.createdAt, timezone: firm.timezone),
            "sendAt": PageChrome.time(summary.sendAt, timezone: firm.timezone),
            "messagesHref": "/console/messages?" + FormEncoding.encode([("blast_id", summary.blastID), ("channel", summary.channel.rawValue)]),
        ]
        page["counts"] = MessageStatus.allCases.map { ["status": $0.rawValue, "count": summary.counts[$0] ?? 0] }
        return ConsoleRenderer.page("blast", page)
    }

    // MARK: Contacts

    func contacts(_ request: Request, _ context: AppRequestContext, extra: [String: Any] = [:]) async throws -> Response {
        var page = PageChrome.context(try context.requireConsole(), title: "Contacts", current: "/console/contacts", request: [:])
        page.merge(extra) { $1 }
        return ConsoleRenderer.page("contacts", page)
    }

    @Sendable func importContacts(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await ConsoleForm.checked(request, context: context)
        do {
            let result = try await ManageController.importCSV(form["csv"] ?? "", firm: try context.firm(), admin: console.admin)
            return try await contacts(
                request, context,
                extra: [
                    "result": ["inserted": result.inserted, "updated": result.updated],
                    "rowErrors": result.errors.map { ["line": $0.line, "message": $0.message] }, "hasRowErrors": !result.errors.isEmpty,
                ])
        } catch let error as DomainError where error.code == .validation {
            return try await contacts(request, context, extra: ["error": error.message])
        }
    }
}
