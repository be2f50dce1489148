public import Configuration
public import Foundation

/// How to reach the SMTP relay. Read from configuration (see docs/email.md):
///
/// | key | environment | default |
/// |---|---|---|
/// | `smtp.host` | `WLCOMM_SMTP_HOST` | none: live email off |
/// | `smtp.port` | `WLCOMM_SMTP_PORT` | 587 (465 with `tls`) |
/// | `smtp.tls` | `WLCOMM_SMTP_TLS` | `starttls`; `tls` or `none` |
/// | `smtp.user` | `WLCOMM_SMTP_USER` | none: no AUTH |
/// | `smtp.password` | `WLCOMM_SMTP_PASSWORD` (secret) | none |
/// | `smtp.defaultFrom` | `WLCOMM_SMTP_DEFAULT_FROM` | none |
/// | `smtp.heloName` | `WLCOMM_SMTP_HELO_NAME` | `localhost` |
/// | `smtp.caFile` | `WLCOMM_SMTP_CA_FILE` | the system's trust roots |
/// | `smtp.poolSize` | `WLCOMM_SMTP_POOL_SIZE` | 4 |
/// | `smtp.timeoutSeconds` | `WLCOMM_SMTP_TIMEOUT_SECONDS` | 30 |
public struct SMTPSettings: Sendable {
    public enum TLSMode: String, Sendable {
        case none
        case startTLS = "starttls"
        case implicit = "tls"
    }

    public var host: String
    public var port: Int
    public var tls: TLSMode
    public var user: String?
    public var password: String?
    public var heloName: String
    /// A PEM file of certificates to trust instead of the system's.
    public var caFile: String?
    public var poolSize: Int
    public var timeout: TimeInterval

    public init(
        host: String, port: Int? = nil, tls: TLSMode = .startTLS, user: String? = nil, password: String? = nil, heloName: String = "localhost",
        caFile: String? = nil, poolSize: Int = 4, timeout: TimeInterval = 30
    ) {
        self.host = host
        self.port = port ?? (tls == .implicit ? 465 : 587)
        self.tls = tls
        self.user = user
        self.password = password
        self.heloName = heloName
        self.caFile = caFile
        self.poolSize = max(1, poolSize)
        self.timeout = timeout
    }

    /// The settings, or `nil` when no host is configured.
    public init?(reader: ConfigReader) {
        guard let host = reader.nonEmptyString(forKey: "smtp.host") else { return nil }
        let tls = reader.nonEmptyString(forKey: "smtp.tls").flatMap(TLSMode.init(rawValue:)) ?? .startTLS
        self.init(
            host: host, port: reader.int(forKey: "smtp.port"), tls: tls, user: reader.nonEmptyString(forKey: "smtp.user"),
            password: reader.nonEmptyString(forKey: "smtp.password", isSecret: true),
            heloName: reader.nonEmptyString(forKey: "smtp.heloName") ?? "localhost", caFile: reader.nonEmptyString(forKey: "smtp.caFile"),
            poolSize: reader.int(forKey: "smtp.poolSize", default: 4),
            timeout: Double(reader.int(forKey: "smtp.timeoutSeconds", default: 30)))
    }
}
