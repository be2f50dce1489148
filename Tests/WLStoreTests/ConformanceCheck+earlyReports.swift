import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// How many early reports are parked.
private func parked(_ store: SQLStore) async throws -> Int {
    Int(try await store.database.read { try await $0.query("SELECT COUNT(*) AS n FROM early_reports") }[0].int("n"))
}

/// Claims and charges `messages` for worker "w" at ``checkTime``.
private func charged(_ store: SQLStore, _ messages: [Message]) async throws {
    _ = try await store.claimDue(channel: .sms, limit: 100, owner: "w", lease: 30, now: checkTime)
    _ = try await store.record(messages.map { ($0.id, DispatchOutcome.charge) }, leaseOwner: "w", now: checkTime)
}

extension ConformanceCheck {
    static let earlyReports: [ConformanceCheck] = [
        ConformanceCheck("a report that comes before its send is recorded is kept, then applied when the send is recorded") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let messages = try await smsBlast(store, firm: firm, count: 2)
            try await charged(store, messages)
            let later = checkTime.addingTimeInterval(1)
            // The provider answered a call, and its callbacks came before the dispatcher recorded that answer.
            for status in [MessageStatus.processing, .delivered] {
                let early = try await store.recordReport(
                    providerMessageID: "P-early", status: status, response: status == .delivered ? "Success" : "Sent", network: "Safaricom",
                    now: later)
                #expect(early == nil)
            }
            #expect(try await parked(store) == 2)
            let recorded = try await store.record(
                [
                    (messages[0].id, .submitted(providerMessageID: "P-early", report: nil)),
                    (messages[1].id, .submitted(providerMessageID: "P-other", report: nil)),
                ], leaseOwner: "w", now: later.addingTimeInterval(1))
            #expect(recorded.map(\.status) == [.delivered, .processing])
            #expect(recorded[0].response == "Success")
            #expect(recorded[0].network == "Safaricom")
            #expect(try await parked(store) == 0)
            let events = try await store.events(firmID: firm.id, messageID: messages[0].id)
            #expect(events.map(\.status) == [.processing, .delivered])
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 8))  // charged once each, no refund
        },
        ConformanceCheck("a UserInBlackList failure lists the number whether its report comes early or late") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let messages = try await smsBlast(store, firm: firm, count: 2)
            try await charged(store, messages)
            let later = checkTime.addingTimeInterval(1)
            // One report comes before its send is recorded (parked), the other after.
            #expect(
                try await store.recordReport(
                    providerMessageID: "P-early", status: .failed, response: "Rejected: UserInBlackList", network: nil, now: later) == nil)
            _ = try await store.record(
                [
                    (messages[0].id, .submitted(providerMessageID: "P-early", report: nil)),
                    (messages[1].id, .submitted(providerMessageID: "P-late", report: nil)),
                ], leaseOwner: "w", now: later)
            let late = try await store.recordReport(
                providerMessageID: "P-late", status: .failed, response: "Rejected: UserInBlackList", network: nil, now: later)
            #expect(late?.status == .failed)
            let listed = try await store.optedOut(messages.map { FirmPhone(firmID: firm.id, phone: $0.recipient) })
            #expect(listed == Set(messages.map { FirmPhone(firmID: firm.id, phone: $0.recipient) }))
            #expect(try await store.optOuts(firmID: firm.id, limit: 10, startingAfter: nil).map(\.source) == [.blacklisted, .blacklisted])
        },
        ConformanceCheck("a report parked after its send was recorded is applied by the sweep; old unclaimed ones are deleted") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let messages = try await smsBlast(store, firm: firm, count: 1)
            try await charged(store, messages)
            _ = try await store.record([(messages[0].id, .submitted(providerMessageID: "P-crossed", report: nil))], leaseOwner: "w", now: checkTime)
            // The two transactions crossed: the report was parked although the send is recorded now.
            try await store.database.transaction { connection in
                try await SQLStore.park(
                    providerMessageID: "P-crossed", status: .failed, response: "Failed: AbsentSubscriber", network: nil, on: connection,
                    now: checkTime)
                try await SQLStore.park(
                    providerMessageID: "P-stray", status: .delivered, response: "Success", network: nil, on: connection, now: checkTime)
            }
            #expect(try await store.applyEarlyReports(limit: 10, now: checkTime.addingTimeInterval(60)) == 1)
            let message = try #require(try await store.message(firmID: firm.id, id: messages[0].id))
            #expect(message.status == .failed)
            #expect(message.response == "Failed: AbsentSubscriber")
            #expect(try await store.applyEarlyReports(limit: 10, now: checkTime.addingTimeInterval(120)) == 0)
            #expect(try await parked(store) == 1)
            #expect(try await store.deleteEarlyReports(receivedBefore: checkTime, limit: 10) == 0)
            #expect(try await store.deleteEarlyReports(receivedBefore: checkTime.addingTimeInterval(1), limit: 10) == 1)
            #expect(try await parked(store) == 0)
        },
    ]
}
