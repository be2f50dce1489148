import Foundation
import Testing

@testable import WLStore

/// The JSON a row set is bound as, and what each engine reads back from it: every integer and every string arrives as
/// given, in the order given.
@Suite struct SQLSetTests {
    static let set = SQLSet([("n", .int), ("s", .text)])
    static let numbers: [Int64] = [.min, -1_000_000_007, -1, 0, 7, 10, 1_800_000_000_000, .max]
    static let texts = ["", "plain", "quote \" and back\\slash", "tab\tnew\nline\u{01}\u{1F}", "Habari 😀 ñ", "</script>", "\u{2028}"]
    static let rows: [[SQLValue]] = numbers.map { [.int($0), .null] } + texts.map { [.null, .text($0)] }

    @Test func rowsAreBoundAsArraysOfValuesInColumnOrder() throws {
        guard case .text(let json) = Self.set.parameter(Self.rows) else {
            Issue.record("the rows are not bound as text")
            return
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[Any]])
        #expect(parsed.count == Self.rows.count)
        #expect(parsed.allSatisfy { $0.count == 2 })
        #expect(parsed.prefix(Self.numbers.count).map { ($0[0] as? NSNumber)?.int64Value } == Self.numbers)
        #expect(parsed.prefix(Self.numbers.count).allSatisfy { $0[1] is NSNull })
        #expect(parsed.suffix(Self.texts.count).map { $0[1] as? String } == Self.texts)
        #expect(json.hasPrefix(#"[[-9223372036854775808,null],[-1000000007,null]"#))
    }

    @Test func sqliteReadsTheRowsBackInOrder() async throws {
        try await expectRoundTrip(on: .sqlite)
    }

    @Test(.enabled(if: TestDatabases.postgresURL != nil, "no PostgreSQL: set WLCOMM_TEST_POSTGRES_URL (scripts/test.sh starts one)"))
    func postgresReadsTheRowsBackInOrder() async throws {
        try await expectRoundTrip(on: .postgres)
    }

    /// Binds ``rows`` and selects them back through ``SQLSet/source(_:parameter:alias:)`` on `engine`.
    private func expectRoundTrip(on engine: TestDatabases.Engine) async throws {
        let read = try await TestDatabases.withStore(engine) { store in
            try await store.database.read { connection in
                try await connection.query(
                    "SELECT v.n, v.s FROM \(Self.set.source(store.database.dialect, parameter: 1)) ORDER BY v.ord",
                    [Self.set.parameter(Self.rows)]
                ).map { (try $0.optionalInt("n"), try $0.optionalText("s")) }
            }
        }
        #expect(read.map(\.0) == Self.numbers.map { Optional($0) } + Self.texts.map { _ in nil })
        #expect(read.map(\.1) == Self.numbers.map { _ in nil } + Self.texts.map { Optional($0) })
    }
}
