import Foundation
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// Every text column of every table, as `(table, column)`.
private func textColumns(_ store: SQLStore) async throws -> [(String, String)] {
    try await store.database.read { connection in
        switch store.database.dialect {
        case .postgres:
            return try await connection.query(
                """
                SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying') ORDER BY table_name, column_name
                """
            ).map { (try $0.text("table_name"), try $0.text("column_name")) }
        case .sqlite:
            var result: [(String, String)] = []
            for table in try await connection.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map({ try $0.text("name") })
            {
                for column in try await connection.query("SELECT name, type FROM pragma_table_info('\(table)')") {
                    if try column.text("type").uppercased().contains("TEXT") { result.append((table, try column.text("name"))) }
                }
            }
            return result
        }
    }
}

/// The `(table, column)` pairs holding `fragment` anywhere in a value.
private func columnsContaining(_ fragment: String, _ store: SQLStore) async throws -> [String] {
    var found: [String] = []
    for (table, column) in try await textColumns(store) {
        let count = try await store.database.read { connection in
            try await connection.query(
                "SELECT COUNT(*) AS n FROM \(table) WHERE LOWER(\(column)) LIKE $1", [.text("%" + fragment + "%")]
            )[0].int("n")
        }
        if count > 0 { found.append("\(table).\(column)") }
    }
    return found
}

/// The firm's balance and the sum of its ledger.
private func money(_ store: SQLStore, _ firm: Firm) async throws -> (Credits?, Int64) {
    let sum = try await store.database.read { connection in
        try await connection.query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM credit_ledger WHERE firm_id = $1", [.int(firm.id)])[
            0
        ].int("total")
    }
    return (try await store.firm(id: firm.id)?.smsCredits, sum)
}

extension ConformanceCheck {
    static let privacy: [ConformanceCheck] = [
        ConformanceCheck("erasing a number leaves no trace of it in any text column, and the balance and ledger unchanged") { store in
            let firm = try await firmWithCredits(store, credits: 50)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let phone = "254712345678"
            _ = try await store.upsertClients(
                firmID: firm.id,
                [Contact(kind: .client, firstName: "Jane", lastName: "W", phone: PhoneNumber(phone), email: "jane@example.com", accountBalance: nil)],
                now: checkTime)
            _ = try await store.upsertClients(
                firmID: other.id,
                [Contact(kind: .client, firstName: "Jane", lastName: "W", phone: PhoneNumber(phone), email: nil, accountBalance: nil)],
                now: checkTime)
            let blast = NewBlast(
                id: NewBlast.makeID(for: .sms, at: Date()), firmID: firm.id, channel: .sms, reference: "r", template: "Hi {first_name}", subject: nil,
                sendAt: checkTime)
            let new = NewMessage(recipient: phone, body: "Hi Jane, call 0712345678", segments: 1, encoding: "GSM-7", credits: Credits(whole: 1))
            let sent = try await store.createBlast(blast, messages: [new], now: checkTime)[0]
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record([(sent.id, .charge)], leaseOwner: "w", now: checkTime)
            _ = try await store.record(
                [(sent.id, .submitted(providerMessageID: "P1", report: DeliveryReport(status: .delivered, response: "Success", network: nil)))],
                leaseOwner: "w", now: checkTime)
            var later = blast
            later.id = NewBlast.makeID(for: .sms, at: Date())
            later.sendAt = checkTime.addingTimeInterval(3_600)
            let waiting = try await store.createBlast(later, messages: [new], now: checkTime)[0]
            _ = try await newPayment(store, firm: firm, phone: phone)
            try await store.addOptOuts([FirmPhone(firmID: firm.id, phone: phone)], source: .api, now: checkTime)
            _ = try await store.claimIdempotencyKey(firmID: firm.id, key: "k1", requestHash: "h", now: checkTime, staleAfter: 60, expiry: 86_400)
            try await store.completeIdempotencyKey(
                firmID: firm.id, key: "k1", claimedAt: checkTime, status: 202, body: #"{"skipped":[{"recipient":"+254 712 345 678"}]}"#,
                now: checkTime)
            let before = try await money(store, firm)
            #expect(try await columnsContaining("712345678", store).count >= 5)

            let summary = try await store.erase(firmID: firm.id, subject: .phone(phone), now: checkTime)
            #expect(summary.contacts == 1 && summary.messages == 2 && summary.cancelled == 1 && summary.payments == 1)
            #expect(summary.optOuts == 1 && summary.idempotencyRecords == 1)
            // The answer is blanked, not forgotten: a retry with its key is answered, never done again.
            #expect(
                try await store.claimIdempotencyKey(firmID: firm.id, key: "k1", requestHash: "h", now: checkTime, staleAfter: 60, expiry: 86_400)
                    == .replay(status: 202, body: SQLStore.erasedAnswer))
            // Only the other firm's contact still holds the number: erasure is per firm.
            #expect(try await columnsContaining("712345678", store) == ["contacts.phone"])
            #expect(try await store.contacts(firmID: other.id).count == 1)
            let after = try await money(store, firm)
            #expect(after.0 == before.0 && after.1 == before.1)
            let erased = try #require(try await store.message(firmID: firm.id, id: sent.id))
            #expect(erased.recipient == erasedRecipient && erased.body.isEmpty && erased.status == .delivered && erased.credits == Credits(whole: 1))
            #expect(try await store.message(firmID: firm.id, id: waiting.id)?.response == "Cancelled")
            let export = try await store.personalData(firmID: firm.id, subject: .phone(phone))
            #expect(export.contacts.isEmpty && export.messages.isEmpty && export.payments.isEmpty && export.optOut == nil)
        },
        ConformanceCheck("erasure empties the text of a blast sent to the person alone, and keeps a shared blast's") { store in
            let firm = try await firmWithCredits(store, credits: 50)
            func blast(_ template: String, subject: String?, to phones: [String]) async throws -> String {
                let id = NewBlast.makeID(for: .sms, at: Date())
                let new = NewBlast(
                    id: id, firmID: firm.id, channel: .sms, reference: nil, template: template, subject: subject, sendAt: checkTime)
                _ = try await store.createBlast(
                    new,
                    messages: phones.map {
                        NewMessage(recipient: $0, body: template, segments: 1, encoding: "GSM-7", credits: Credits(whole: 1))
                    }, now: checkTime)
                return id
            }
            let alone = try await blast("Jane, your loan of KES 5,000 is due on Friday", subject: "Loan", to: ["254712345678"])
            let shared = try await blast("Our offices close at noon on Friday", subject: nil, to: ["254712345678", "254722000001"])
            _ = try await store.erase(firmID: firm.id, subject: .phone("254712345678"), now: checkTime)
            let texts = try await store.database.read { connection in
                try await connection.query("SELECT id, template, subject FROM blasts WHERE firm_id = $1", [.int(firm.id)]).map {
                    (try $0.text("id"), try $0.text("template"), try $0.optionalText("subject"))
                }
            }
            #expect(texts.first { $0.0 == alone }.map { $0.1 == "" && $0.2 == nil } == true)
            #expect(texts.first { $0.0 == shared }?.1 == "Our offices close at noon on Friday")
        },
        ConformanceCheck("erasure calls off a charged message waiting to retry, with a refund, but not one being sent") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let messages = try await smsBlast(store, firm: firm, count: 1)
            let phone = messages[0].recipient
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record([(messages[0].id, .charge)], leaseOwner: "w", now: checkTime)
            // Being sent: the lease is live.
            let busy = await #expect(throws: DomainError.self) {
                _ = try await store.erase(firmID: firm.id, subject: .phone(phone), now: checkTime)
            }
            #expect(busy?.code == .conflict)
            _ = try await store.record(
                [(messages[0].id, .retry(at: checkTime.addingTimeInterval(600), response: "busy"))], leaseOwner: "w", now: checkTime)
            let summary = try await store.erase(firmID: firm.id, subject: .phone(phone), now: checkTime.addingTimeInterval(1))
            #expect(summary.cancelled == 1 && summary.messages == 1)
            let message = try #require(try await store.message(firmID: firm.id, id: messages[0].id))
            #expect(message.status == .failed && message.response == "Cancelled" && message.recipient == erasedRecipient)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 10))
            #expect(try await store.ledgerSum(firmID: firm.id) == Credits(whole: 10))
        },
        ConformanceCheck("erasure goes through the person's messages in bounded steps; a conflict keeps the steps done, a retry ends it") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let phone = "254712345678"
            var sent: [Message] = []
            for index in 0..<5 {
                let blast = NewBlast(
                    id: NewBlast.makeID(for: .sms, at: Date()), firmID: firm.id, channel: .sms, reference: nil, template: "Hi \(index)",
                    subject: nil, sendAt: checkTime.addingTimeInterval(index == 4 ? 0 : 3_600))
                sent += try await store.createBlast(
                    blast, messages: [NewMessage(recipient: phone, body: "Hi \(index)", segments: 1, encoding: "GSM-7", credits: Credits(whole: 1))],
                    now: checkTime)
            }
            // The newest is being sent: the steps before it (two messages each) are done, then the erasure stops.
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record([(sent[4].id, .charge)], leaseOwner: "w", now: checkTime)
            let busy = await #expect(throws: DomainError.self) {
                _ = try await store.erase(firmID: firm.id, subject: .phone(phone), now: checkTime, batch: 2)
            }
            #expect(busy?.code == .conflict)
            var midway: [String?] = []
            for message in sent { midway.append(try await store.message(firmID: firm.id, id: message.id)?.recipient) }
            #expect(midway == [erasedRecipient, erasedRecipient, erasedRecipient, erasedRecipient, phone])
            _ = try await store.record([(sent[4].id, .submitted(providerMessageID: "P-1", report: nil))], leaseOwner: "w", now: checkTime)
            let summary = try await store.erase(firmID: firm.id, subject: .phone(phone), now: checkTime, batch: 2)
            #expect(summary.messages == 1 && summary.cancelled == 0)
            var after: [Message?] = []
            for message in sent { after.append(try await store.message(firmID: firm.id, id: message.id)) }
            #expect(after.map { $0?.recipient } == Array(repeating: erasedRecipient, count: 5))
            #expect(after.prefix(4).allSatisfy { $0?.status == .failed && $0?.response == "Cancelled" })
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 9), "only the message sent is charged")
            #expect(try await columnsContaining("712345678", store).isEmpty)
        },
        ConformanceCheck("erasing an address takes it out of a relay's refusal quoted in the response and the events") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let messages = try await emailBlast(store, firm: firm, count: 2)
            _ = try await store.claimDue(channel: .email, limit: 10, owner: "w", lease: 30, now: checkTime)
            let refusal = { (address: String) in "550 5.1.1 <\(address)>: Recipient address rejected" }
            _ = try await store.record(
                messages.map { ($0.id, .fail(response: refusal($0.recipient), refund: false)) }, leaseOwner: "w", now: checkTime)
            _ = try await store.erase(firmID: firm.id, subject: .email("USER0@example.com"), now: checkTime)
            #expect(try await columnsContaining("user0@example.com", store).isEmpty)
            let erased = try #require(try await store.message(firmID: firm.id, id: messages[0].id))
            #expect(erased.response == refusal(erasedRecipient))
            let events = try await store.events(firmID: firm.id, messageID: messages[0].id)
            #expect(!events.isEmpty && events.allSatisfy { !$0.response.contains("user0@") })
            // The other person's refusal is untouched.
            #expect(try await store.message(firmID: firm.id, id: messages[1].id)?.response == refusal("user1@example.com"))
        },
        ConformanceCheck("erasing an address with % or _ removes only the answers naming it, not other people's") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let bodies = [
                "jane": #"{"skipped":[{"recipient":"jane@example.com"}]}"#, "axb": #"{"skipped":[{"recipient":"axb@example.com"}]}"#,
                "percent": #"{"skipped":[{"recipient":"%@example.com"}]}"#, "dash": #"{"skipped":[{"recipient":"Mary-Jane@example.com"}]}"#,
            ]
            for (key, body) in bodies {
                _ = try await store.claimIdempotencyKey(firmID: firm.id, key: key, requestHash: "h", now: checkTime, staleAfter: 60, expiry: 86_400)
                try await store.completeIdempotencyKey(firmID: firm.id, key: key, claimedAt: checkTime, status: 202, body: body, now: checkTime)
            }
            func stored(_ key: String) async throws -> Bool {
                try await store.claimIdempotencyKey(firmID: firm.id, key: key, requestHash: "h", now: checkTime, staleAfter: 60, expiry: 86_400)
                    == .replay(status: 202, body: bodies[key] ?? "")
            }

            #expect(try await store.erase(firmID: firm.id, subject: .email("%@example.com"), now: checkTime).idempotencyRecords == 1)
            #expect(try await store.erase(firmID: firm.id, subject: .email("a_b@example.com"), now: checkTime).idempotencyRecords == 0)
            #expect(try await stored("jane"))
            #expect(try await stored("axb"))
            #expect(try await !stored("percent"))
            // An address's own dash is part of it: the answer naming it goes.
            #expect(try await store.erase(firmID: firm.id, subject: .email("mary-jane@example.com"), now: checkTime).idempotencyRecords == 1)
            #expect(try await stored("jane"))
        },
        ConformanceCheck("an export gathers the person's contacts, messages, payments and opt-out") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let phone = "254700100000"
            _ = try await store.upsertClients(
                firmID: firm.id,
                [Contact(kind: .client, firstName: "Ali", lastName: "", phone: PhoneNumber(phone), email: nil, accountBalance: KES(cents: 10))],
                now: checkTime)
            let messages = try await smsBlast(store, firm: firm, count: 2)
            _ = try await newPayment(store, firm: firm, phone: phone)
            try await store.addOptOuts([FirmPhone(firmID: firm.id, phone: phone)], source: .provider, now: checkTime)
            let export = try await store.personalData(firmID: firm.id, subject: .phone(phone))
            #expect(export.contacts.map(\.firstName) == ["Ali"])
            #expect(export.messages.map(\.id) == [messages[0].id])
            #expect(export.payments.count == 1 && export.optOut?.source == .provider)
        },
        ConformanceCheck("old final message bodies are redacted in bounded batches; waiting ones are not") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let messages = try await smsBlast(store, firm: firm, count: 3)
            _ = try await store.claimDue(channel: .sms, limit: 10, owner: "w", lease: 30, now: checkTime)
            _ = try await store.record(messages.prefix(2).map { ($0.id, .fail(response: "x", refund: false)) }, leaseOwner: "w", now: checkTime)
            let cutoff = checkTime.addingTimeInterval(1)
            #expect(try await store.redactMessageBodies(createdBefore: cutoff, limit: 1) == 1)
            #expect(try await store.redactMessageBodies(createdBefore: cutoff, limit: 10) == 1)
            #expect(try await store.redactMessageBodies(createdBefore: cutoff, limit: 10) == 0)
            var bodies: [String?] = []
            for message in messages { bodies.append(try await store.message(firmID: firm.id, id: message.id)?.body) }
            #expect(bodies == ["", "", "Hello 2"])
        },
        ConformanceCheck("an old blast's text is emptied once all its messages are final, in bounded batches") { store in
            let firm = try await firmWithCredits(store, credits: 10)
            let finished = try await smsBlast(store, firm: firm, count: 2)
            let open = try await smsBlast(store, firm: firm, count: 1)
            for message in finished { _ = try await store.cancelMessage(firmID: firm.id, id: message.id, now: checkTime) }
            let cutoff = checkTime.addingTimeInterval(1)
            #expect(try await store.redactBlastTexts(createdBefore: checkTime, limit: 10) == 0)
            #expect(try await store.redactBlastTexts(createdBefore: cutoff, limit: 10) == 1)
            #expect(try await store.redactBlastTexts(createdBefore: cutoff, limit: 10) == 0)
            let templates = try await store.database.read { connection in
                try await connection.query(
                    "SELECT id, template FROM blasts WHERE id IN ($1, $2)", [.text(finished[0].blastID), .text(open[0].blastID)]
                ).map { (try $0.text("id"), try $0.text("template")) }
            }
            let byID = Dictionary(uniqueKeysWithValues: templates)
            #expect(byID[finished[0].blastID] == "" && byID[open[0].blastID]?.isEmpty == false)
        },
    ]
}
