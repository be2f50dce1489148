public import Logging
import WLPorts
import WLStore

extension AppSettings {
    /// What the first log line of every start says: the version, the engine, the role, which providers are live,
    /// sandbox or not configured (so a typo in a provider's settings shows at once), and the limits. Nothing secret.
    public var startupSummary: Logger.Metadata {
        let engine: String =
            switch store {
            case .sqlite(let path): "SQLite \(path)"
            case .postgres: "PostgreSQL, pool of \(databaseMaxConnections)"
            }
        let limits =
            self.limits.enabled
            ? "sends \(self.limits.sends.quota)/\(self.limits.sends.window) s, reads \(self.limits.reads.quota)/\(self.limits.reads.window) s per key; "
                + "console \(self.limits.console.quota)/\(self.limits.console.window) s per user"
            : "off"
        return [
            "version": .string(WLCommApp.version), "engine": .string(engine), "role": .string(role.rawValue),
            "sandbox_firms": "sandbox providers",
            "live_sms": .string(africasTalking == nil ? "not configured" : "Africa's Talking"),
            "live_mpesa": .string(daraja.map { "Daraja \($0.baseURL)" } ?? "not configured"),
            "live_email": .string(smtp.map { "SMTP \($0.host):\($0.port)" } ?? "not configured"),
            "rate_limits": .string(limits),
            "trusted_proxies": .string(trustedProxyEntries.isEmpty ? "none" : trustedProxyEntries.joined(separator: ",")),
        ]
    }
}
