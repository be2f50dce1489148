import ArgumentParser
import WLDomain
import WLPorts
import WLStore

extension FirmCommand {
    struct SetLimits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-limits", abstract: "Set the firm's own rate limits per API key (QUOTA/SECONDS, or default).")
        @Option(help: "Writes (POST, PUT, PATCH, DELETE) per API key, e.g. 200/5 (bursts of 200, then 40 a second), or default.")
        var sends: String?
        @Option(help: "GET and HEAD requests per API key, e.g. 1200/10, or default.") var reads: String?
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let update = FirmUpdate(
                    sendLimit: try sends.map { try Self.parse($0, name: "sends") }, readLimit: try reads.map { try Self.parse($0, name: "reads") })
                let updated = try await options.withAdmin { admin, _ in try await admin.update(firm, update) }
                try options.output(updated) { firm in
                    let show = { (policy: RateLimitPolicy?) in policy.map { "\($0.quota) per \($0.window) s" } ?? "default" }
                    return "\(firm.slug)\tsends \(show(firm.sendLimit))\treads \(show(firm.readLimit))"
                }
            }
        }

        /// `100/5` → 100 per 5 s; `default` → the service's default.
        static func parse(_ text: String, name: String) throws -> RateLimitPolicy? {
            if text == "default" { return nil }
            let parts = text.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let quota = parts[0], let window = parts[1], quota > 0, window > 0 else {
                throw ValidationError("--\(name) is QUOTA/SECONDS, e.g. 100/5, or default")
            }
            return RateLimitPolicy(name: name, quota: quota, window: window)
        }
    }
}
