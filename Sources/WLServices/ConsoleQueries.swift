import Foundation
public import WLDomain
public import WLPorts

/// What the console and the management API read beyond the public API: a message's timeline, the delivery chart's
/// counts, users and the audit log.
public struct ConsoleQueries: Sendable {
    /// The most days the delivery chart covers.
    public static let maximumChartDays = 90

    let store: any Store
    let time: any TimeSource

    public init(store: any Store, time: any TimeSource) {
        self.store = store
        self.time = time
    }

    /// The firm's message and its events, oldest first.
    /// - Throws: `.notFound` for a message of another firm or of the other channel.
    public func timeline(firmID: Int64, messageID: Int64, channel: Channel) async throws -> (Message, [MessageEvent]) {
        guard let message = try await store.message(firmID: firmID, id: messageID), message.channel == channel else {
            throw DomainError(.notFound, "No message with that id.")
        }
        return (message, try await store.events(firmID: firmID, messageID: messageID))
    }

    /// The firm's blast, its messages counted by status.
    /// - Throws: `.notFound` for an unknown blast or another firm's.
    public func blast(firmID: Int64, blastID: String) async throws -> BlastSummary {
        guard blastID.utf8.count <= 64, let summary = try await store.blastSummary(firmID: firmID, blastID: blastID) else {
            throw DomainError(.notFound, "No blast with that id.")
        }
        return summary
    }

    /// The firm's SMS of the last `days` days (1–90) by day, outcome and network, with every day present.
    public func deliveryStats(firmID: Int64, days: Int) async throws -> DeliveryStats {
        let days = min(max(days, 1), Self.maximumChartDays)
        let today = Calendar.utc.startOfDay(for: time.now)
        let since = today.addingTimeInterval(-Double(days - 1) * 86_400)
        return DeliveryStats(counts: try await store.deliveryCounts(firmID: firmID, since: since), since: since, days: days)
    }

    /// The platform's audit log, or one firm's.
    public func audit(firmID: Int64?, limit: Int, startingAfter: Int64?) async throws -> [AuditEntry] {
        try await store.auditLog(firmID: firmID, limit: limit, startingAfter: startingAfter)
    }

    /// The firm's console users, or every user.
    public func users(firmID: Int64?) async throws -> [ConsoleUser] {
        try await store.users(firmID: firmID)
    }
}

/// Delivered, failed and pending SMS per day (UTC) and per network.
public struct DeliveryStats: Sendable, Hashable {
    /// One entry per day, oldest first, zeros included.
    public struct Day: Sendable, Hashable {
        public var date: String
        public var delivered: Int
        public var failed: Int
        public var pending: Int
    }

    /// Totals per network over the whole range.
    public struct Network: Sendable, Hashable {
        public var network: String
        public var delivered: Int
        public var failed: Int
        public var pending: Int
    }

    public var days: [Day]
    public var networks: [Network]

    init(counts: [DeliveryCount], since: Date, days: Int) {
        var byDay: [String: Day] = [:]
        var byNetwork: [String: Network] = [:]
        for count in counts {
            var day = byDay[count.day] ?? Day(date: count.day, delivered: 0, failed: 0, pending: 0)
            var network = byNetwork[count.network] ?? Network(network: count.network, delivered: 0, failed: 0, pending: 0)
            switch count.outcome {
            case "delivered":
                day.delivered += count.count
                network.delivered += count.count
            case "failed":
                day.failed += count.count
                network.failed += count.count
            default:
                day.pending += count.count
                network.pending += count.count
            }
            byDay[count.day] = day
            byNetwork[count.network] = network
        }
        self.days = (0..<days).map { offset in
            let date = since.addingTimeInterval(Double(offset) * 86_400).formatted(.iso8601.year().month().day())
            return byDay[date] ?? Day(date: date, delivered: 0, failed: 0, pending: 0)
        }
        self.networks = byNetwork.values.sorted { $0.network < $1.network }
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC.
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }
}
