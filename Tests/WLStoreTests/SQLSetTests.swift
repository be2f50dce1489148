import Foundation
import Testing

@testable import WLStore

/// The JSON a row set is bound as: every integer and every string arrives as given.
@Suite struct SQLSetTests {
    @Test func integersAndStringsSurviveTheRoundTrip() throws {
        let set = SQLSet([("n", .int), ("s", .text)])
        let numbers: [Int64] = [.min, -1_000_000_007, -1, 0, 7, 10, 1_800_000_000_000, .max]
        let texts = ["", "plain", "quote \" and back\\slash", "tab\tnew\nline\u{01}\u{1F}", "Habari 😀 ñ", "</script>", "\u{2028}"]
        var rows: [[SQLValue]] = numbers.map { [.int($0), .null] }
        rows += texts.map { [.null, .text($0)] }
        guard case .text(let json) = set.parameter(rows) else {
            Issue.record("the rows are not bound as text")
            return
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(parsed.count == rows.count)
        #expect(parsed.prefix(numbers.count).map { ($0["n"] as? NSNumber)?.int64Value } == numbers)
        #expect(parsed.prefix(numbers.count).allSatisfy { $0["s"] is NSNull })
        #expect(parsed.suffix(texts.count).map { $0["s"] as? String } == texts)
        #expect(json.hasPrefix(#"[{"n":-9223372036854775808,"s":null},{"n":-1000000007,"s":null}"#))
    }
}
