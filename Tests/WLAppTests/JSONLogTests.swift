import Configuration
import Foundation
import Logging
import Synchronization
import Testing
import WLApp
import WLPorts

/// The lines a ``JSONLogHandler`` wrote.
final class WrittenLines: Sendable {
    let lines = Mutex<[String]>([])

    /// A logger writing JSON lines here.
    func logger() -> Logger {
        var logger = Logger(label: "wlcomm") { label in
            JSONLogHandler(label: label) { line in self.lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .debug
        return logger
    }
}

@Suite struct JSONLogTests {
    @Test func eachEventIsOneJSONObjectOnOneLineWithItsMetadataAsFields() throws {
        let lines = WrittenLines()
        var logger = lines.logger()
        logger[metadataKey: "request_id"] = "req_0123"
        logger.info(
            "sent \"twice\"\nreally\u{7}",
            metadata: [
                "firm_id": .stringConvertible(42), "message_ids": .array(["7", "8"]), "provider": .dictionary(["name": "AT", "ms": "120"]),
                "message": "a metadata key named like a fixed field",
            ])
        logger.trace("below the level: not written")
        let written = lines.lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "wlcomm")
        #expect(object["message"] as? String == "sent \"twice\"\nreally\u{7}")
        #expect(object["request_id"] as? String == "req_0123")
        #expect(object["firm_id"] as? String == "42")
        #expect(object["message_ids"] as? [String] == ["7", "8"])
        #expect(object["provider"] as? [String: String] == ["name": "AT", "ms": "120"])
        #expect(object["metadata_message"] as? String == "a metadata key named like a fixed field")
        let time = try #require(object["time"] as? String)
        #expect(time.count == 24 && time.hasSuffix("Z"))
    }

    @Test func theFormatIsASettingAndAnUnknownOneStopsStartUp() async throws {
        let json = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_LOG_FORMAT": "json"], configFile: nil))
        #expect(json.logFormat == .json)
        try json.checkLogFormat()
        let plain = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: [:], configFile: nil))
        #expect(plain.logFormat == .text)
        let unknown = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_LOG_FORMAT": "xml"], configFile: nil))
        let error = #expect(throws: StartupError.self) { try unknown.checkLogFormat() }
        #expect(error?.description.contains("use text or json") == true)
    }
}
