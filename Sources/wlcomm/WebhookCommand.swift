import ArgumentParser
import Configuration
import WLServices

/// `wlcomm webhook …`: where a firm's delivery webhooks go.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Configure a firm's delivery webhook.", subcommands: [Set.self])

    struct Result: Encodable {
        var firm: String
        var url: String
        var signed: Bool
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the webhook URL and optional signing secret.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "An absolute http(s) URL.") var url: String
        @Option(help: "HMAC-SHA256 signing secret; X-WL-Signature is sent only when set.") var secret: String?
        @Flag(help: "Allow loopback and private addresses (development only). Env: WLCOMM_WEBHOOKS_ALLOW_PRIVATE=true.")
        var webhooksAllowPrivate = false
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let extra: [AbsoluteConfigKey: ConfigValue] = webhooksAllowPrivate ? ["webhooks.allowPrivate": true] : [:]
                try await options.withAdmin(extra: extra) { admin, _ in try await admin.setWebhook(firm: firm, url: url, secret: secret) }
                try options.output(Result(firm: firm, url: url, signed: secret != nil)) {
                    "webhook for \($0.firm) set to \($0.url)\($0.signed ? ", signed" : ", unsigned")"
                }
            }
        }
    }
}
