import Foundation
public import Logging
import Synchronization
import WLDomain

/// How log lines are written: `text` (swift-log's default, for people) or `json` (one object per line, for log
/// collectors).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}

/// Writes each log event as one JSON object on one line:
/// `{"time":"2026-12-02T10:00:00.123Z","level":"info","label":"wlcomm","message":"…","request_id":"req_…",…}`.
///
/// Metadata keys (request id, firm id, message ids…) become top-level fields; nested metadata becomes JSON objects
/// and arrays. A metadata key named like a fixed field (`time`, `level`, `label`, `message`) is kept under
/// `metadata_<key>` instead. The same redaction rules apply as to text logs: nothing secret is ever put in metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    /// - Parameter write: Takes each finished line, newline included (by default: standard error, whole lines only).
    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "{"
        Self.appendField("time", .string(FirmTime.preciseUTC(Date())), to: &line, first: true)
        Self.appendField("level", .string(event.level.rawValue), to: &line)
        Self.appendField("label", .string(label), to: &line)
        Self.appendField("message", .string(event.message.description), to: &line)
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            Self.appendField(Self.fixed.contains(key) ? "metadata_" + key : key, value, to: &line)
        }
        line += "}\n"
        write(line)
    }

    private static let fixed: Set<String> = ["time", "level", "label", "message"]

    private static func appendField(_ key: String, _ value: Logger.Metadata.Value, to line: inout String, first: Bool = false) {
        if !first { line += "," }
        appendString(key, to: &line)
        line += ":"
        appendValue(value, to: &line)
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, (key, element)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                appendField(key, element, to: &line, first: index == 0)
            }
            line += "}"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as it is (UTF-8).
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    /// Writes `line` to standard error in one call, so lines from several threads never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        errorLock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    private static let errorLock = Mutex(())
}
