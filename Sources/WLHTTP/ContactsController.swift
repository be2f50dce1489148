import Foundation
import Hummingbird
import WLDomain
import WLPorts
public import WLServices

/// `PUT /contacts` (bulk create-or-update of the firm's clients by phone number) and `DELETE /contacts/{phone}`.
public struct ContactsController: Sendable {
    let contacts: ContactService

    public init(contacts: ContactService) {
        self.contacts = contacts
    }

    public func addRoutes(to group: RouteRegistrar) {
        group.on(.put, "contacts", use: upsert)
        group.on(.delete, "contacts/:phone", use: delete)
    }

    @Sendable func upsert(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<[String: Int]> {
        let firm = try context.firm()
        let body = try await request.decodeJSON(as: ContactsRequest.self, context: context)
        let summary = try await contacts.upsert(body, firmID: firm.id)
        return SuccessEnvelope(message: "Contacts saved.", data: ["created": summary.inserted, "updated": summary.updated])
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<[String: Int]> {
        let firm = try context.firm()
        let phone = try context.parameters.require("phone")
        let deleted = try await contacts.delete(phone: phone.removingPercentEncoding ?? phone, firmID: firm.id)
        return SuccessEnvelope(message: "Contact deleted.", data: ["deleted": deleted])
    }
}
