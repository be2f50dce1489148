import Foundation
import Testing
import WLServices

@Suite struct JSONDuplicateKeysTests {
    func first(_ text: String) -> String? {
        Array(text.utf8).withUnsafeBytes { JSONDuplicateKeys.first(in: $0) }
    }

    @Test(arguments: [
        (#"{"message":"hi","message":"yo"}"#, "message"),
        (#"{"a":1,"b":{"c":1,"c":2}}"#, "c"),
        (#"{"recipients":[{"to":"0712345678","variables":{"x":"1","x":"2"}}]}"#, "x"),
        (#"{"a":1,"\u0061":2}"#, "a"),
        (#"{"a\"b":1,"a\"b":2}"#, #"a"b"#),
    ])
    func aKeyGivenTwiceInOneObjectIsFound(text: String, key: String) {
        #expect(first(text) == key)
    }

    @Test(arguments: [
        #"{"message":"hi","recipients":["254712345678"]}"#,
        #"{"recipients":[{"to":"1","variables":{"a":"1"}},{"to":"2","variables":{"a":"2"}}]}"#,
        #"{"a":{"b":1},"b":{"a":1}}"#,
        #"{"message":"{\"a\":1,\"a\":2}","a":"[\"a\",\"a\"]"}"#,
        #"{"a":"x\\","b":"\\\"a\":"}"#,
        #"[{"a":1},{"a":1}]"#,
        #"{}"#,
    ])
    func keysAreCountedPerObjectAndTextInsideStringsIsNotAKey(text: String) {
        #expect(first(text) == nil)
    }

    /// One object of 200,000 keys (about 2 MB), each inserted in place: a few hundred milliseconds at most here. The
    /// scan that copied an object's key set for every key took minutes on it, holding a worker thread.
    @Test func anObjectOfManyKeysIsScannedInLinearTime() {
        let keys = (0..<200_000).map { "\"k\($0)\":0" }
        let start = ContinuousClock.now
        #expect(first("{\"amount\":{" + keys.joined(separator: ",") + "}}") == nil)
        #expect(first("{\"amount\":{" + keys.joined(separator: ",") + ",\"k7\":1}}") == "k7")
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }
}
