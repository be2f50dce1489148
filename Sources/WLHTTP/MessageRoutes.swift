import Foundation
import Hummingbird
import WLDomain
import WLPorts
import WLServices

/// The routes every channel shares, under its path (`sms`, `email`): `GET /{channel}` (filters and cursor),
/// `GET /{channel}/{message_id}`, `POST /{channel}/{message_id}/cancel` and `POST /{channel}/blasts/{blast_id}/cancel`.
struct MessageRoutes<Service: MessagingService>: Sendable {
    let service: Service

    func addRoutes(to group: RouteRegistrar) {
        let path = service.channel.rawValue
        group.get(path, use: list)
        group.get("\(path)/:message_id", use: show)
        group.post("\(path)/:message_id/cancel", use: cancel)
        group.post("\(path)/blasts/:blast_id/cancel", use: cancelBlast)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<MessageView> {
        let firm = try context.firm()
        let message = try await service.message(id: try context.messageID(), firmID: firm.id)
        return SuccessEnvelope(data: MessageView(message: message, timezone: firm.timezone))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PageView<MessageView>> {
        let firm = try context.firm()
        let query = try MessageQuery(request.queryDictionary(allowing: MessageQuery.names(service.channel)), channel: service.channel)
        let page = try await service.list(firmID: firm.id, filter: query.filter, limit: query.limit, startingAfter: query.startingAfter)
        return SuccessEnvelope(
            data: PageView(
                key: "messages", items: page.messages.map { MessageView(message: $0, timezone: firm.timezone) },
                nextStartingAfter: page.nextStartingAfter))
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<MessageView> {
        let firm = try context.firm()
        let message = try await service.cancel(id: try context.messageID(), firmID: firm.id)
        return SuccessEnvelope(data: MessageView(message: message, timezone: firm.timezone))
    }

    @Sendable func cancelBlast(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<BlastCancellationView> {
        let firm = try context.firm()
        let blastID = try context.parameters.require("blast_id")
        return SuccessEnvelope(data: BlastCancellationView(blastID: blastID, result: try await service.cancelBlast(blastID, firmID: firm.id)))
    }
}
