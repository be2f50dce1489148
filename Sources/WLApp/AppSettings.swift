public import Configuration
public import Logging
public import WLStore

/// Every setting of the service, read once from configuration.
///
/// | key | environment | type | default |
/// |---|---|---|---|
/// | `host` | `WLCOMM_HOST` | string | `127.0.0.1` |
/// | `port` | `WLCOMM_PORT` | int | `8080` |
/// | `database.url` | `WLCOMM_DATABASE_URL` | string, secret | `./data/wlcomm.sqlite` (SQLite) |
/// | `seed.sandbox` | `WLCOMM_SEED_SANDBOX` | bool | `false` |
/// | `log.level` | `WLCOMM_LOG_LEVEL` | trace…critical | `info` |
public struct AppSettings: Sendable {
    public var host: String
    public var port: Int
    public var store: StoreLocation
    public var seedSandbox: Bool
    public var logLevel: Logger.Level

    /// Reads the settings from `reader` (see the table above for keys and defaults).
    public init(reader: ConfigReader) {
        self.host = reader.string(forKey: "host", default: "127.0.0.1")
        self.port = reader.int(forKey: "port", default: 8080)
        // The URL may carry a password.
        self.store = StoreLocation(databaseURL: reader.string(forKey: "database.url", isSecret: true))
        self.seedSandbox = reader.bool(forKey: "seed.sandbox", default: false)
        self.logLevel = reader.string(forKey: "log.level").flatMap(Logger.Level.init(rawValue:)) ?? .info
    }
}
