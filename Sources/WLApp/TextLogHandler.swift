public import Logging

/// swift-log's text lines (`StreamLogHandler`), with the metadata formatted only when a line is written.
///
/// `StreamLogHandler` formats its whole metadata each time one item is set, and every request sets two (its id and
/// its firm's) whether or not anything is logged: a few microseconds of each request's CPU. This handler keeps the
/// metadata as it is and hands it to a `StreamLogHandler` for each line it writes, so the lines are the same.
public struct TextLogHandler: LogHandler {
    /// The logger's metadata, as it was set (formatted only for a line written).
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line (swift-log's task-local provider, by default the bootstrapped one).
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let stream: (any TextOutputStream & Sendable)?

    /// - Parameters:
    ///   - label: The logger's label, written on every line.
    ///   - stream: Where lines go; by default standard error, as swift-log's own default handler.
    ///   - metadataProvider: Metadata added to every line.
    public init(
        label: String, stream: (any TextOutputStream & Sendable)? = nil, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.stream = stream
        self.metadataProvider = metadataProvider
    }

    /// One metadata item.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as `StreamLogHandler` would with this handler's label, level, metadata and provider.
    public func log(event: LogEvent) {
        var handler =
            stream.map { StreamLogHandler(label: label, stream: $0, metadataProvider: metadataProvider) }
            ?? StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
        handler.logLevel = logLevel
        handler.metadata = metadata
        handler.log(event: event)
    }
}
