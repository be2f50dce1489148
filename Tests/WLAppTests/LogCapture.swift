import Logging
import Synchronization

/// Keeps every log line (message and metadata as text), for tests that check what is and is not logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger writing here.
    func logger() -> Logger {
        Logger(label: "captured") { _ in Handler(capture: self) }
    }

    var all: [String] { lines.withLock { $0 } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let text = "\(event.level) \(event.message) \(merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
            capture.lines.withLock { $0.append(text) }
        }
    }
}
