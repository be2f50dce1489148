public import Configuration
import Synchronization

/// Records, for every key the service reads, the value it got and where that came from: the effective
/// configuration that `wlcomm config show` prints. Secrets are never kept, only the fact that one was set.
public final class ConfigProvenance: AccessReporter {
    /// One key as the service read it.
    public struct Entry: Sendable, Encodable, Equatable {
        public var key: String
        /// The value, `<redacted>` for a secret that is set, `null` when unset.
        public var value: String?
        /// `flag`, `environment`, `file` or `default`.
        public var source: String
        public var secret: Bool
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    public func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        let source =
            event.providerResults.first { (try? $0.result.get().value) != nil }.map { Self.source(of: $0.providerName) } ?? "default"
        let value = (try? event.result.get()).flatMap { $0 }
        let secret = value?.isSecret ?? false
        let shown: String? = value.map { secret ? "<redacted>" : Self.text($0.content) }
        entries.withLock { $0[key] = Entry(key: key, value: shown, source: source, secret: secret) }
    }

    /// Every key read so far, in key order.
    public var all: [Entry] { entries.withLock { $0.values.sorted { $0.key < $1.key } } }

    private static func source(of provider: String) -> String {
        if provider.contains("flags") { return "flag" }
        if provider.contains("Environment") { return "environment" }
        return "file"
    }

    private static func text(_ content: ConfigContent) -> String {
        switch content {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        case .bytes(let value): "\(value.count) bytes"
        case .stringArray(let value): value.joined(separator: ",")
        case .intArray(let value): value.map(String.init).joined(separator: ",")
        case .doubleArray(let value): value.map { String($0) }.joined(separator: ",")
        case .boolArray(let value): value.map { String($0) }.joined(separator: ",")
        case .byteChunkArray(let value): "\(value.count) byte chunks"
        }
    }
}

extension AppSettings {
    /// The effective configuration: every key the service reads from `providers`, its value (secrets redacted) and
    /// its source.
    public static func provenance(providers: [any ConfigProvider]) -> [ConfigProvenance.Entry] {
        let reporter = ConfigProvenance()
        _ = AppSettings(reader: ConfigReader(providers: providers, accessReporter: reporter))
        return reporter.all
    }
}
