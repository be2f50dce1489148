import Foundation
import Hummingbird
import WLDomain
import WLPorts
import WLServices

/// `POST /sms/opt-outs`, `GET /sms/opt-outs` (cursor list in number order) and `DELETE /sms/opt-outs/{phone}`: the
/// firm's SMS opt-out list.
struct OptOutRoutes: Sendable {
    let optOuts: OptOutService

    func addRoutes(to group: RouteRegistrar) {
        group.post("sms/opt-outs", use: add)
        group.get("sms/opt-outs", use: list)
        group.on(.delete, "sms/opt-outs/:phone", use: remove)
    }

    @Sendable func add(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SuccessEnvelope<OptOutView>> {
        let firm = try context.firm()
        let body = try await request.decodeJSON(as: OptOutRequest.self, context: context)
        guard let phone = body.phone, !phone.isEmpty else {
            throw DomainError(.validation, "The request is not valid.", fields: ["phone": ["This field is required."]])
        }
        let (entry, created) = try await optOuts.add(phone, firmID: firm.id, source: .api)
        return EditedResponse(
            status: created ? .created : .ok,
            response: SuccessEnvelope(
                message: created ? "Number opted out." : "Number was already opted out.", data: OptOutView(entry, timezone: firm.timezone)))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PageView<OptOutView>> {
        let firm = try context.firm()
        let page = try PageQuery(request.queryDictionary(allowing: PageQuery.names))
        let fetched = try await optOuts.list(firmID: firm.id, limit: page.limit + 1, startingAfter: page.startingAfter.map { String($0) })
        return SuccessEnvelope(
            data: PageView(
                key: "opt_outs", fetched: fetched.map { OptOutView($0, timezone: firm.timezone) }, limit: page.limit,
                cursor: { Int64($0.phone) ?? 0 }))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<[String: String]> {
        let firm = try context.firm()
        let phone = try context.parameters.require("phone")
        try await optOuts.remove(phone.removingPercentEncoding ?? phone, firmID: firm.id)
        return SuccessEnvelope(message: "Number removed from the opt-out list.", data: [:])
    }
}

/// One entry of the opt-out list.
struct OptOutView: Encodable, Sendable {
    var phone: String
    var source: String
    var createdAt: String

    init(_ entry: OptOut, timezone: String) {
        phone = entry.phone
        source = entry.source.rawValue
        createdAt = FirmTime.format(entry.createdAt, timezone: timezone)
    }

    enum CodingKeys: String, CodingKey {
        case phone, source
        case createdAt = "created_at"
    }
}
