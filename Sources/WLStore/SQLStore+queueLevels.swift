public import Foundation
public import WLPorts

extension SQLStore {
    public func queueLevels(now: Date) async throws -> [QueueLevel] {
        try await database.read { connection in
            var levels: [String: QueueLevel] = [:]
            for (queue, status) in QueueLevel.all {
                levels["\(queue)/\(status)"] = QueueLevel(queue: queue, status: status, depth: 0, oldest: nil)
            }
            for row in try await connection.query(
                """
                SELECT channel, status, COUNT(*) AS depth,
                    MIN(CASE WHEN status = 'pending' AND due_at <= $1 THEN due_at WHEN status = 'processing' THEN created_at END) AS oldest
                FROM messages WHERE status IN ('pending', 'processing') GROUP BY channel, status
                """, [.time(now)])
            {
                let key = "\(try row.text("channel"))/\(try row.text("status"))"
                levels[key]?.depth = Int(try row.int("depth"))
                levels[key]?.oldest = try row.optionalTime("oldest")
            }
            for row in try await connection.query(
                """
                SELECT COUNT(*) AS depth, MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) AS oldest
                FROM webhook_deliveries WHERE status = 'pending'
                """, [.time(now)])
            {
                levels["webhooks/pending"]?.depth = Int(try row.int("depth"))
                levels["webhooks/pending"]?.oldest = try row.optionalTime("oldest")
            }
            return QueueLevel.all.compactMap { levels["\($0.queue)/\($0.status)"] }
        }
    }
}
