import Foundation
public import Logging
public import WLDomain
public import WLPorts

/// Each firm's SMS opt-out list: numbers it must not text. A listed number is skipped at accept time (`opted_out`),
/// and a message to it still queued when it was listed fails "Opted out" without charge.
public struct OptOutService: Sendable {
    let store: any Store
    let time: any TimeSource
    /// The sender ID Africa's Talking uses for firms that registered none (`africastalking.senderId`).
    let defaultSenderID: String?
    let logger: Logger
    /// The lists ``SMSService`` keeps between requests: a firm's is forgotten when this service changes it.
    let cache: OptOutCache?

    public init(store: any Store, time: any TimeSource, defaultSenderID: String?, logger: Logger, cache: OptOutCache? = nil) {
        self.store = store
        self.time = time
        self.defaultSenderID = defaultSenderID
        self.logger = logger
        self.cache = cache
    }

    /// Lists `phone` (any accepted form) for the firm.
    /// - Returns: The entry and whether it is new.
    /// - Throws: `.validation` on `phone` for a number that is not a Kenyan mobile number.
    public func add(_ phone: String, firmID: Int64, source: OptOutSource) async throws -> (entry: OptOut, created: Bool) {
        let number = try Self.number(phone)
        let now = time.now
        let created = try await store.addOptOuts([FirmPhone(firmID: firmID, phone: number.e164Digits)], source: source, now: now) == 1
        cache?.forget(firmIDs: [firmID])
        let entry = try await store.optOuts(firmID: firmID, limit: 1, startingAfter: Self.before(number.e164Digits)).first
        return (entry ?? OptOut(phone: number.e164Digits, source: source, createdAt: now), created)
    }

    /// The firm's list in number order.
    public func list(firmID: Int64, limit: Int, startingAfter: String?) async throws -> [OptOut] {
        try await store.optOuts(firmID: firmID, limit: limit, startingAfter: startingAfter)
    }

    /// Takes `phone` off the firm's list.
    /// - Throws: `.validation` for a bad number, `.notFound` when it is not listed.
    public func remove(_ phone: String, firmID: Int64) async throws {
        let number = try Self.number(phone)
        guard try await store.removeOptOut(FirmPhone(firmID: firmID, phone: number.e164Digits)) else {
            throw DomainError(.notFound, "\(number.e164Digits) is not on the opt-out list.")
        }
        cache?.forget(firmIDs: [firmID])
    }

    /// Africa's Talking's opt-out notification (form fields `senderId` and `phoneNumber`): the number opted out of
    /// that sender ID, so it joins the list of every firm sending under it (the firms that registered it; for the
    /// platform's default, also every firm that uses the default). Without `africastalking.senderId` the default is
    /// not known by name: a sender ID no firm registered is then taken for it (the account's own), since the firms
    /// without one send under it.
    /// - Returns: How many firms' lists it joined.
    @discardableResult
    public func africasTalkingOptOut(_ form: [String: String]) async throws -> Int {
        guard let raw = form["phoneNumber"], let number = PhoneNumber(raw), let sender = form["senderId"], !sender.isEmpty else {
            logger.warning("unusable Africa's Talking opt-out notification")
            return 0
        }
        var firms = try await store.firmIDs(sendingAs: sender, isDefault: sender == defaultSenderID)
        if firms.isEmpty && defaultSenderID == nil {
            firms = try await store.firmIDs(sendingAs: sender, isDefault: true)
        }
        if firms.isEmpty {
            logger.warning("opt-out notification for a sender ID no firm sends as", metadata: ["sender_id": "\(sender)"])
        }
        try await store.addOptOuts(firms.map { FirmPhone(firmID: $0, phone: number.e164Digits) }, source: .provider, now: time.now)
        cache?.forget(firmIDs: firms)
        logger.info("opt-out notification applied", metadata: ["sender_id": "\(sender)", "firms": "\(firms.count)"])
        return firms.count
    }

    private static func number(_ raw: String) throws -> PhoneNumber {
        guard let number = PhoneNumber(raw) else {
            throw DomainError(.validation, "The phone number is not valid.", fields: ["phone": ["Not a Kenyan mobile number."]])
        }
        return number
    }

    /// The largest number string below `digits`, so a list starting after it begins at `digits`.
    private static func before(_ digits: String) -> String {
        String(digits.dropLast()) + String(UnicodeScalar(UInt8(digits.utf8.last! - 1)))
    }
}

/// The body of `POST /sms/opt-outs`: `{"phone": "…"}`.
public struct OptOutRequest: Decodable, Sendable {
    public var phone: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case phone }

    public init(from decoder: any Decoder) throws {
        try UnknownFields.refuse(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        phone = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .phone)
    }
}
