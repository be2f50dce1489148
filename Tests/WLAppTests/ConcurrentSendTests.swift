import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

@Suite struct ConcurrentSendTests {
    /// 1,000 concurrent single-recipient sends against a balance that pays for 100: exactly 100 are charged and
    /// delivered, the rest fail for insufficient credits at no cost, and the balance is 0 and equals the ledger.
    @Test func aThousandSendsAgainstABalanceForAHundredOnSQLite() async throws {
        try await aThousandSendsAgainstABalanceForAHundred(.sqlite)
    }

    @Test(.enabled(if: TestEngine.postgresURL != nil, "no PostgreSQL: set WLCOMM_TEST_POSTGRES_URL (scripts/test.sh starts one)"))
    func aThousandSendsAgainstABalanceForAHundredOnPostgreSQL() async throws {
        try await aThousandSendsAgainstABalanceForAHundred(.postgres)
    }

    func aThousandSendsAgainstABalanceForAHundred(_ engine: TestEngine) async throws {
        let app = try await TestApp(engine: engine)
        try await app.test { client in
            _ = try await app.admin { admin, _ in try await admin.adjustCredits(firm: "sandbox", amount: Credits(whole: -900), reason: "test") }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<1_000 {
                    group.addTask {
                        let number = "2547\(String(format: "%08d", 10_000_000 + index))"
                        return try await client.api(.post, "/sms", json: ["message": "Hi", "recipients": [number]]).status.code
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 202 })
            let (delivered, failed) = try await app.admin { _, store in
                for _ in 0..<3_000 {
                    let pending = try await store.firstPageMessages(
                        firmID: 1, filter: MessageFilter(channel: .sms, status: .pending), limit: 1, startingAfter: nil)
                    let processing = try await store.firstPageMessages(
                        firmID: 1, filter: MessageFilter(channel: .sms, status: .processing), limit: 1, startingAfter: nil)
                    if pending.isEmpty && processing.isEmpty { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                let delivered = try await store.firstPageMessages(
                    firmID: 1, filter: MessageFilter(channel: .sms, status: .delivered), limit: 2_000, startingAfter: nil)
                let failed = try await store.firstPageMessages(
                    firmID: 1, filter: MessageFilter(channel: .sms, status: .failed), limit: 2_000, startingAfter: nil)
                return (delivered.count, failed)
            }
            #expect(delivered == 100)
            #expect(failed.count == 900)
            #expect(failed.allSatisfy { $0.response == "Insufficient SMS credits" })
            let (balance, sum) = try await app.admin { _, store in (try await store.firm(id: 1)?.smsCredits, try await store.ledgerSum(firmID: 1)) }
            #expect(balance == .zero)
            #expect(sum == .zero)
        }
    }
}
