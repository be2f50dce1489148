import Logging
import Synchronization
import Testing
import WLApp

/// Text lines are swift-log's own (`StreamLogHandler`'s), though the metadata is formatted only when a line is written.
@Suite struct TextLogTests {
    /// A stream that keeps what is written to it.
    final class Capture: TextOutputStream, Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    @Test func linesAreTheStreamHandlersWithTheSameMetadata() {
        let ours = Capture()
        let theirs = Capture()
        let provider = Logger.MetadataProvider { ["provided": "yes"] }
        let factories: [@Sendable (String) -> any LogHandler] = [
            { TextLogHandler(label: $0, stream: ours, metadataProvider: provider) },
            { StreamLogHandler(label: $0, stream: theirs, metadataProvider: provider) },
        ]
        for factory in factories {
            var logger = Logger(label: "wlcomm", factory: factory)
            logger.logLevel = .debug
            logger[metadataKey: "request_id"] = "req_0123"
            logger[metadataKey: "firm_id"] = .stringConvertible(42)
            logger.info("request", metadata: ["status": "202", "path": .string("/api/v1/communication/sms")])
            logger[metadataKey: "request_id"] = nil
            logger.debug("second\nline", metadata: ["ids": .array(["7", "8"]), "provider": .dictionary(["name": "AT"]), "firm_id": "43"])
            logger.trace("below the level: not written")
        }
        let lines = ours.text.withLock { $0 }.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)  // two events, one with a line break, and the final newline
        #expect(
            lines[0].contains(
                " info wlcomm: firm_id=42 path=/api/v1/communication/sms provided=yes request_id=req_0123 status=202 [WLAppTests] request"))
        #expect(lines[1].contains(#" debug wlcomm: firm_id=43 ids=["7", "8"] provided=yes provider=["name": "AT"] [WLAppTests] second"#))
        // The timestamp leads each line, to the second; the rest is the same.
        #expect(withoutTimestamps(ours.text.withLock { $0 }) == withoutTimestamps(theirs.text.withLock { $0 }))
    }

    private func withoutTimestamps(_ text: String) -> [Substring] {
        text.split(separator: "\n").map { line in line.firstIndex(of: " ").map { line[$0...] } ?? line }
    }
}
