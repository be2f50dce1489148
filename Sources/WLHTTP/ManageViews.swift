import Foundation
import WLDomain
import WLPorts
import WLServices

/// A console user as the management API shows it.
struct UserView: Encodable, Sendable {
    var id: Int64
    var email: String
    var role: String
    var firmID: Int64?

    init(_ user: ConsoleUser) {
        id = user.id
        email = user.email
        role = user.role.rawValue
        firmID = user.firmID
    }

    enum CodingKeys: String, CodingKey {
        case id, email, role
        case firmID = "firm_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(email, forKey: .email)
        try container.encode(role, forKey: .role)
        try container.encode(firmID, forKey: .firmID)
    }
}

/// The answer to a sign-in: the bearer token (shown once), when it ends, and who it is.
struct SessionView: Encodable, Sendable {
    var token: String
    var expiresAt: String
    var user: UserView

    enum CodingKeys: String, CodingKey {
        case token, user
        case expiresAt = "expires_at"
    }
}

/// A firm as the console shows it (the management API's `Firm`).
struct FirmView: Encodable, Sendable {
    var firm: Firm

    enum CodingKeys: String, CodingKey {
        case id, slug, name, status, mode, balance, timezone
        case smsRate = "sms_rate"
        case subscriptionExpiresAt = "subscription_expires_at"
        case senderIDTransactional = "sender_id_transactional"
        case senderIDPromotional = "sender_id_promotional"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(firm.id, forKey: .id)
        try container.encode(firm.slug, forKey: .slug)
        try container.encode(firm.name, forKey: .name)
        try container.encode(firm.status.rawValue, forKey: .status)
        try container.encode(firm.mode.rawValue, forKey: .mode)
        try container.encode(firm.smsCredits, forKey: .balance)
        try container.encode(firm.timezone, forKey: .timezone)
        try container.encode(firm.smsRate, forKey: .smsRate)
        try container.encode(firm.subscriptionExpiresAt.map { FirmTime.format($0, timezone: firm.timezone) }, forKey: .subscriptionExpiresAt)
        try container.encode(firm.senderIDs.transactional?.value, forKey: .senderIDTransactional)
        try container.encode(firm.senderIDs.promotional?.value, forKey: .senderIDPromotional)
        try container.encode(FirmTime.format(firm.createdAt, timezone: firm.timezone), forKey: .createdAt)
    }
}

/// An API key without its secret; `key` only in the answer that made it.
struct KeyView: Encodable, Sendable {
    var record: APIKeyRecord
    var secret: String?
    var timezone: String

    enum CodingKeys: String, CodingKey {
        case id, prefix, label, key
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.displayPrefix, forKey: .prefix)
        try container.encode(record.label, forKey: .label)
        try container.encodeIfPresent(secret, forKey: .key)
        try container.encode(FirmTime.format(record.createdAt, timezone: timezone), forKey: .createdAt)
        try container.encode(record.lastUsedAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .lastUsedAt)
        try container.encode(record.revokedAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .revokedAt)
    }
}

/// The firm's webhook settings without the secret.
struct WebhookView: Encodable, Sendable {
    var settings: WebhookSettings
    var timezone: String

    enum CodingKeys: String, CodingKey {
        case url
        case hasSecret = "has_secret"
        case disabledAt = "disabled_at"
        case disabledReason = "disabled_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(settings.url, forKey: .url)
        try container.encode(settings.secret != nil, forKey: .hasSecret)
        try container.encode(settings.disabledAt.map { FirmTime.format($0, timezone: timezone) }, forKey: .disabledAt)
        try container.encode(settings.disabledReason, forKey: .disabledReason)
    }
}

/// A line of the audit log.
struct AuditView: Encodable, Sendable {
    var entry: AuditEntry

    enum CodingKeys: String, CodingKey {
        case id, at, actor, action, detail
        case actorRole = "actor_role"
        case firmID = "firm_id"
        case clientAddress = "client_address"
        case requestID = "request_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entry.id, forKey: .id)
        try container.encode(FirmTime.format(entry.at, timezone: "UTC"), forKey: .at)
        try container.encode(entry.actor, forKey: .actor)
        try container.encode(entry.actorRole, forKey: .actorRole)
        try container.encode(entry.firmID, forKey: .firmID)
        try container.encode(entry.action, forKey: .action)
        try container.encode(entry.detail, forKey: .detail)
        try container.encode(entry.clientAddress, forKey: .clientAddress)
        try container.encode(entry.requestID, forKey: .requestID)
    }
}

/// A message with its events, oldest first.
struct TimelineView: Encodable, Sendable {
    var message: MessageView
    var events: [EventView]

    struct EventView: Encodable, Sendable {
        var event: String
        var status: String
        var at: String
        var detail: String
    }

    init(message: Message, events: [MessageEvent], timezone: String) {
        self.message = MessageView(message: message, timezone: timezone)
        self.events = events.map {
            EventView(event: $0.event, status: $0.status.rawValue, at: FirmTime.format($0.occurredAt, timezone: timezone), detail: $0.response)
        }
    }

    enum CodingKeys: String, CodingKey { case events }

    func encode(to encoder: any Encoder) throws {
        try message.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(events, forKey: .events)
    }
}

/// What a contacts import did, with the refused lines.
struct ImportView: Encodable, Sendable {
    var inserted: Int
    var updated: Int
    var errors: [LineError]

    struct LineError: Encodable, Sendable {
        var line: Int
        var message: String
    }
}

/// The delivery chart's numbers.
struct StatsView: Encodable, Sendable {
    var days: [Day]
    var networks: [Network]

    struct Day: Encodable, Sendable {
        var date: String
        var delivered: Int
        var failed: Int
        var pending: Int
    }

    struct Network: Encodable, Sendable {
        var network: String
        var delivered: Int
        var failed: Int
        var pending: Int
    }

    init(_ stats: DeliveryStats) {
        days = stats.days.map { Day(date: $0.date, delivered: $0.delivered, failed: $0.failed, pending: $0.pending) }
        networks = stats.networks.map { Network(network: $0.network, delivered: $0.delivered, failed: $0.failed, pending: $0.pending) }
    }
}

/// A console user with whether they have accepted their invitation, and the invitation link when just made.
struct InvitedUserView: Encodable, Sendable {
    var user: ConsoleUser
    var inviteURL: String?

    enum CodingKeys: String, CodingKey {
        case id, email, role
        case firmID = "firm_id"
        case invitationPending = "invitation_pending"
        case inviteURL = "invite_url"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user.id, forKey: .id)
        try container.encode(user.email, forKey: .email)
        try container.encode(user.role.rawValue, forKey: .role)
        try container.encode(user.firmID, forKey: .firmID)
        try container.encode(user.isInvitationPending, forKey: .invitationPending)
        try container.encodeIfPresent(inviteURL, forKey: .inviteURL)
    }
}

/// A blast's messages counted by status.
struct BlastView: Encodable, Sendable {
    var summary: BlastSummary
    var timezone: String

    enum CodingKeys: String, CodingKey {
        case channel, reference, total, counts, credits
        case blastID = "blast_id"
        case createdAt = "created_at"
        case sendAt = "send_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(summary.blastID, forKey: .blastID)
        try container.encode(summary.channel.rawValue, forKey: .channel)
        try container.encode(summary.reference, forKey: .reference)
        try container.encode(summary.counts.values.reduce(0, +), forKey: .total)
        var counts: [String: Int] = [:]
        for status in MessageStatus.allCases { counts[status.rawValue] = summary.counts[status] ?? 0 }
        try container.encode(counts, forKey: .counts)
        try container.encode(summary.credits, forKey: .credits)
        try container.encode(FirmTime.format(summary.createdAt, timezone: timezone), forKey: .createdAt)
        try container.encode(FirmTime.format(summary.sendAt, timezone: timezone), forKey: .sendAt)
    }
}
