import ArgumentParser
import Configuration
import Foundation
import WLApp
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

/// `wlcomm webhook …`: where a firm's delivery webhooks go.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Configure a firm's delivery webhook and read its delivery log.",
        subcommands: [Set.self, Show.self, Deliveries.self, Redeliver.self, Test.self])

    struct Result: Encodable {
        var firm: String
        var url: String
        var signed: Bool
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the webhook URL and optional signing secret.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "An absolute http(s) URL.") var url: String
        @Option(
            help: "HMAC-SHA256 signing secret (unsigned without one); it stays in shell history: prefer --secret-file or --secret-stdin.")
        var secret: String?
        @Option(help: "Read the signing secret from this file (its first line).") var secretFile: String?
        @Flag(help: "Read the signing secret from standard input (its first line).") var secretStdin = false
        @Flag(help: "Allow loopback and private addresses (development only). Env: WLCOMM_WEBHOOKS_ALLOW_PRIVATE=true.")
        var webhooksAllowPrivate = false
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            if [secret != nil, secretFile != nil, secretStdin].filter({ $0 }).count > 1 {
                throw ValidationError("Give the secret one way: --secret, --secret-file or --secret-stdin.")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let secret = try self.secret ?? secretFile.map(SecretInput.file) ?? (secretStdin ? SecretInput.standardInput() : nil)
                let extra: [AbsoluteConfigKey: ConfigValue] = webhooksAllowPrivate ? ["webhooks.allowPrivate": true] : [:]
                try await options.withAdmin(extra: extra) { admin, _ in try await admin.setWebhook(firm: firm, url: url, secret: secret) }
                try options.output(Result(firm: firm, url: url, signed: secret != nil)) {
                    "webhook for \($0.firm) set to \($0.url)\($0.signed ? ", signed" : ", unsigned")"
                }
            }
        }
    }

    /// What `webhook show` prints.
    struct Status: Encodable {
        var firm: String
        var url: String?
        var signed: Bool
        var disabledAt: Date?
        var disabledReason: String?
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the webhook URL and whether it is disabled (never the secret).")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let status = try await options.withAdmin { admin, store in
                    let settings = try await store.webhook(firmID: admin.firm(firm).id)
                    return Status(
                        firm: firm, url: settings?.url, signed: settings?.secret != nil, disabledAt: settings?.disabledAt,
                        disabledReason: settings?.disabledReason)
                }
                try options.output(status) { status in
                    guard let url = status.url else { return "no webhook for \(status.firm)" }
                    let state =
                        status.disabledAt.map { "DISABLED since \(ISO8601DateFormatter().string(from: $0)): \(status.disabledReason ?? "")" }
                        ?? "enabled"
                    return "\(url)\t\(status.signed ? "signed" : "unsigned")\t\(state)"
                }
            }
        }
    }

    /// One delivery as `webhook deliveries --json` prints it.
    struct Delivery: Encodable {
        var id: Int64
        var eventId: Int64
        var messageId: Int64?
        var paymentId: Int64?
        var event: String
        var status: String
        var attempts: Int
        var lastStatusCode: Int?
        var lastError: String?
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a firm's webhook deliveries, newest first.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "pending, succeeded or failed.") var status: String?
        @Option(help: "Only this message's deliveries.") var messageId: Int64?
        @Option(help: "How many.") var limit = 20
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                var filter = WebhookDeliveryFilter(messageID: messageId)
                if let status {
                    guard let parsed = WebhookDeliveryStatus(rawValue: status) else {
                        throw ValidationError("--status is pending, succeeded or failed")
                    }
                    filter.status = parsed
                }
                guard limit > 0 else { throw ValidationError("--limit is at least 1") }
                let (chosen, wanted) = (filter, limit)
                let records = try await options.withAdmin { admin, store in
                    // A page reads a bounded window of the log, so a rare status may take several to find `limit`.
                    let firmID = try await admin.firm(firm).id
                    var records: [WebhookDeliveryRecord] = []
                    var next: Int64?
                    repeat {
                        let page = try await store.webhookDeliveryPage(
                            firmID: firmID, filter: chosen, limit: wanted - records.count, startingAfter: next)
                        records += page.deliveries
                        next = page.nextStartingAfter
                    } while records.count < wanted && next != nil
                    return records
                }
                let rows = records.map {
                    Delivery(
                        id: $0.id, eventId: $0.eventID, messageId: $0.messageID, paymentId: $0.paymentID, event: $0.event, status: $0.status.rawValue,
                        attempts: $0.attemptCount, lastStatusCode: $0.attempts.last?.statusCode, lastError: $0.attempts.last?.error)
                }
                try options.output(rows) { rows in
                    rows.map {
                        "\($0.id)\t\($0.messageId.map { "message \($0)" } ?? $0.paymentId.map { "payment \($0)" } ?? "")\t\($0.event)\t\($0.status)\t\($0.attempts) attempts\t\($0.lastStatusCode.map(String.init) ?? $0.lastError ?? "")"
                    }
                    .joined(separator: "\n")
                }
            }
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a finished delivery again, due now.")
        @Option(help: "Firm id or slug.") var firm: String
        @Option(help: "The delivery id (see webhook deliveries).") var id: Int64
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let record = try await options.withAdmin { admin, store in
                    try await store.redeliverWebhook(firmID: admin.firm(firm).id, deliveryID: id, now: Date())
                }
                try options.output(["id": record.id]) { _ in "delivery \(record.id) queued again; the running server sends it" }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a signed communication.test event to the firm's webhook now.")
        @Option(help: "Firm id or slug.") var firm: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let result = try await options.withAdmin { admin, store in
                    let settings = AppSettings(reader: try await options.reader())
                    let transport = HTTPWebhookTransport(allowPrivate: settings.webhooksAllowPrivate)
                    do {
                        let result = try await WebhookService(store: store, time: SystemTimeSource(), transport: transport).sendTest(
                            firm: admin.firm(firm))
                        await transport.shutdown()
                        return result
                    } catch {
                        await transport.shutdown()
                        throw error
                    }
                }
                let summary = TestSummary(
                    url: result.url, succeeded: result.succeeded, statusCode: result.statusCode, latencyMs: result.latencyMilliseconds,
                    error: result.error)
                try options.output(summary) {
                    "\($0.url): \($0.succeeded ? "OK" : "FAILED") \($0.statusCode.map { "HTTP \($0)" } ?? $0.error ?? "") in \($0.latencyMs) ms"
                }
                if !result.succeeded { throw ExitCode.failure }
            }
        }
    }

    struct TestSummary: Encodable {
        var url: String
        var succeeded: Bool
        var statusCode: Int?
        var latencyMs: Int
        var error: String?
    }
}
