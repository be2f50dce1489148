import Foundation
import Testing
import WLDomain

@testable import WLStore

/// A message row decodes the same whether its columns come in ``MessageRow/names`` order (read by position) or in any
/// other order (read by name), and a missing column is reported by name.
@Suite struct MessageRowTests {
    /// One value per column of ``MessageRow/names``, every one distinct, so a column read from the wrong position shows.
    static let cells: [String: SQLValue] = [
        "id": .int(41), "firm_id": .int(7), "blast_id": .text("blast-1"), "channel": .text("sms"), "reference": .text("ref-9"),
        "recipient": .text("254712345678"), "body": .text("Habari"), "segments": .int(2), "encoding": .text("GSM-7"),
        "credits": .int(200), "charged": .int(150), "status": .text("processing"), "response": .text("Queued"),
        "network": .text("Safaricom"), "stage": .text("charged"), "attempts": .int(3), "due_at": .int(1_800_000_000_001),
        "lease_until": .int(1_800_000_000_002), "lease_owner": .text("sms-1"), "provider_message_id": .text("ATXid_1"),
        "event_sequence": .int(4), "created_at": .int(1_800_000_000_003), "sent_at": .int(1_800_000_000_004), "delivered_at": .null,
        "subject": .null, "opens": .int(5), "clicks": .int(6), "opened_at": .int(1_800_000_000_005), "clicked_at": .null,
        "category": .text("promotional"),
    ]

    static func row(_ names: [String]) -> SQLRow {
        SQLRow(columns: SQLColumns(names), cells: names.map { cells[$0] ?? .text("extra") })
    }

    @Test func everyColumnIsNamedOnceInPositionOrder() {
        #expect(MessageRow.Column.allCases.count == MessageRow.names.count)
        #expect(Set(MessageRow.names).count == MessageRow.names.count)
        #expect(Set(MessageRow.names) == Set(Self.cells.keys))
    }

    @Test func aRowInLayoutOrderAndARearrangedOneDecodeAlike() throws {
        let inOrder = try MessageRow(row: Self.row(MessageRow.names))
        let shuffled = try MessageRow(row: Self.row(["extra_column"] + MessageRow.names.reversed()))
        #expect(inOrder.message == shuffled.message)
        #expect(inOrder.message.id == 41 && inOrder.message.firmID == 7 && inOrder.message.recipient == "254712345678")
        #expect(inOrder.message.status == .processing && inOrder.message.stage == .charged && inOrder.message.category == .promotional)
        #expect(inOrder.message.attempts == 3 && inOrder.message.segments == 2 && inOrder.message.credits == Credits(units: 200))
        #expect(inOrder.message.providerMessageID == "ATXid_1" && inOrder.message.deliveredAt == nil)
        #expect(inOrder.message.engagement == Engagement(opens: 5, clicks: 6, openedAt: Date(milliseconds: 1_800_000_000_005)))
        for row in [inOrder, shuffled] {
            #expect(row.charged == Credits(units: 150) && row.leaseOwner == "sms-1" && row.eventSequence == 4)
            #expect(row.leaseUntil == Date(milliseconds: 1_800_000_000_002))
        }
    }

    @Test func aMissingColumnIsNamed() {
        #expect(throws: StoreError.corrupt("no column network")) {
            try MessageRow(row: Self.row(MessageRow.names.filter { $0 != "network" }))
        }
    }

    @Test func aNullInARequiredColumnIsNamedOnEitherPath() {
        var cells = Self.cells
        cells["recipient"] = .null
        for names in [MessageRow.names, MessageRow.names.reversed()] {
            let row = SQLRow(columns: SQLColumns(names), cells: names.map { cells[$0] ?? .null })
            #expect(throws: StoreError.corrupt("recipient is NULL")) { try MessageRow(row: row) }
        }
    }
}
