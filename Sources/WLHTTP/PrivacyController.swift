import Foundation
import Hummingbird
import WLDomain
import WLPorts
public import WLServices

/// `POST /privacy/erasure` (`{"phone": …}` or `{"email": …}`: erase one person from the firm's records) and
/// `GET /privacy/export?phone=…` or `?email=…` (everything held about them).
public struct PrivacyController: Sendable {
    let privacy: PrivacyService

    public init(privacy: PrivacyService) {
        self.privacy = privacy
    }

    public func addRoutes(to group: RouteRegistrar) {
        group.post("privacy/erasure", use: erase)
        group.get("privacy/export", use: export)
    }

    @Sendable func erase(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<ErasureView> {
        let firm = try context.firm()
        let body = try await request.decodeJSON(as: ErasureRequest.self, context: context)
        let subject = try PrivacyService.subject(phone: body.phone, email: body.email)
        return SuccessEnvelope(message: "Erased.", data: ErasureView(try await privacy.erase(subject, firmID: firm.id)))
    }

    @Sendable func export(_ request: Request, context: AppRequestContext) async throws -> SuccessEnvelope<PersonalDataView> {
        let firm = try context.firm()
        let query = try request.queryDictionary(allowing: ["phone", "email"])
        return SuccessEnvelope(data: try await privacy.export(PrivacyService.subject(phone: query["phone"], email: query["email"]), firm: firm))
    }
}

/// What an erasure removed, by kind of record.
struct ErasureView: Encodable, Sendable {
    var summary: ErasureSummary

    init(_ summary: ErasureSummary) { self.summary = summary }

    enum CodingKeys: String, CodingKey {
        case contacts, messages, cancelled, payments, suppressions
        case optOuts = "opt_outs"
        case idempotencyRecords = "idempotency_records"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(summary.contacts, forKey: .contacts)
        try container.encode(summary.messages, forKey: .messages)
        try container.encode(summary.cancelled, forKey: .cancelled)
        try container.encode(summary.payments, forKey: .payments)
        try container.encode(summary.optOuts, forKey: .optOuts)
        try container.encode(summary.suppressions, forKey: .suppressions)
        try container.encode(summary.idempotencyRecords, forKey: .idempotencyRecords)
    }
}
