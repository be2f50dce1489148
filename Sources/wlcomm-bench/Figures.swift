import Foundation

/// Everything one run measured: printed as a table, written as JSON by `--json`.
struct Figures: Codable, Sendable {
    var engine = ""
    /// "release" or "debug": the build of this benchmark and the server inside it.
    var build = ""
    /// When the run started, ISO 8601 UTC.
    var date = ""
    var cores = 0
    var short = false
    /// Connections of every wrk run, and how long each lasted.
    var connections = 0
    var loadSeconds = 0
    var healthz: Wrk.Result?
    var singles: Wrk.Result?
    /// Single-recipient messages accepted under wrk, per second from the first request to the last message final.
    var singlesEndToEndPerSecond = 0.0
    var blastRecipients = 0
    /// Median time for one blast to be answered 202.
    var blastAcceptMs = 0.0
    /// Messages of one blast per second, from its 202 to its last message final (median over the blasts).
    var dispatchPerSecond = 0.0
    var webhookEvents = 0
    /// Webhook events of one blast delivered per second, first to last receipt.
    var webhookEventsPerSecond = 0.0
    /// The event rate the latency phase aimed at, and what arrived.
    var pacedTargetPerSecond = 0.0
    var pacedEventsPerSecond = 0.0
    var pacedEvents = 0
    var pacedP50Ms = 0.0
    var pacedP99Ms = 0.0
    var emails = 0
    var emailsPerSecond = 0.0
    /// `/healthz` and single-recipient `POST /sms` of the same server restarted with no workers (`role=api`).
    var acceptOnlyHealthz: Wrk.Result?
    var acceptOnly: Wrk.Result?
    var kannel: KannelRig.Figures?
    /// Why Kannel has no figures ("not installed", "skipped"), when it has none.
    var kannelNote: String?
    var rows: [Row] = []

    /// One line of the table.
    struct Row: Codable, Sendable {
        var key: String
        var figure: String
        var value: Double
        var shown: String
        var target: String
        /// Nil when the figure has no target (or this run's size is not the target's).
        var met: Bool?
    }

    /// POST /sms accepted per second over /healthz per second, same generator and connections.
    var smsOverHealthz: Double? {
        guard let healthz, let singles, healthz.acceptedPerSecond > 0 else { return nil }
        return singles.acceptedPerSecond / healthz.acceptedPerSecond
    }

    /// The accept ratio with the workers off: what accepting alone costs against `/healthz`, so the most
    /// ``smsOverHealthz`` could reach were dispatch and webhooks free.
    var acceptOnlyOverHealthz: Double? {
        guard let acceptOnlyHealthz, let acceptOnly, acceptOnlyHealthz.acceptedPerSecond > 0 else { return nil }
        return acceptOnly.acceptedPerSecond / acceptOnlyHealthz.acceptedPerSecond
    }

    /// Fills ``rows`` from the figures and the targets for this engine.
    mutating func tabulate() {
        let postgres = engine == "PostgreSQL"
        rows = []
        func add(_ key: String, _ figure: String, _ value: Double, _ shown: String, atLeast: Double? = nil, atMost: Double? = nil) {
            let target = atLeast.map { "≥ " + format($0) } ?? atMost.map { "≤ " + format($0) } ?? "—"
            let met = atLeast.map { value >= $0 } ?? atMost.map { value <= $0 }
            rows.append(Row(key: key, figure: figure, value: value, shown: shown, target: target, met: met))
        }
        let healthzRate = healthz?.acceptedPerSecond ?? 0
        let smsRate = singles?.acceptedPerSecond ?? 0
        add("healthz_rps", "GET /healthz req/s, \(connections) connections", healthzRate, format(healthzRate))
        add(
            "sms_rps", "POST /sms (1 recipient) accepted req/s, \(connections) connections", smsRate,
            format(smsRate) + String(format: " (p99 %.0f ms)", singles?.p99Ms ?? 0))
        add(
            "sms_over_healthz", "POST /sms ÷ /healthz req/s", smsOverHealthz ?? 0, String(format: "%.2f", smsOverHealthz ?? 0),
            atLeast: postgres ? 0.6 : 0.7)
        if let acceptOnlyOverHealthz {
            add(
                "accept_only_over_healthz", "the same with workers off (role=api): POST /sms ÷ /healthz req/s", acceptOnlyOverHealthz,
                String(format: "%.2f", acceptOnlyOverHealthz) + " (\(format(acceptOnly?.acceptedPerSecond ?? 0)) req/s)")
        }
        let blastTarget = blastRecipients == 10_000 ? (postgres ? 250.0 : 150.0) : nil
        add(
            "blast_accept_ms", "\(format(Double(blastRecipients)))-recipient POST /sms to 202, ms", blastAcceptMs, format(blastAcceptMs) + " ms",
            atMost: blastTarget)
        add(
            "dispatch_mps", "dispatch 202 → final, with debits, events, outbox rows, msg/s", dispatchPerSecond, format(dispatchPerSecond),
            atLeast: postgres ? 10_000 : 25_000)
        add("sms_e2e_mps", "POST /sms (1 recipient) → final under load, msg/s", singlesEndToEndPerSecond, format(singlesEndToEndPerSecond))
        add(
            "webhook_eps", "webhook events to a local receiver, events/s", webhookEventsPerSecond, format(webhookEventsPerSecond),
            atLeast: postgres ? 3_000 : 5_000)
        add(
            "webhook_p99_ms", "webhook status change → receipt at \(format(pacedTargetPerSecond)) events/s, p99 ms", pacedP99Ms,
            "p50 \(format(pacedP50Ms)) ms, p99 \(format(pacedP99Ms)) ms (\(format(pacedEventsPerSecond)) events/s arrived)",
            atMost: postgres ? 150 : 100)
        add("email_ps", "email to a local SMTP sink, emails/s", emailsPerSecond, format(emailsPerSecond), atLeast: postgres ? 2_000 : 3_000)
        guard let kannel else { return }
        add("kannel_rps", "Kannel sendsms accepted req/s, \(connections) connections", kannel.acceptedPerSecond, format(kannel.acceptedPerSecond))
        add("kannel_e2e_mps", "Kannel sendsms → fake SMSC, msg/s", kannel.endToEndPerSecond, format(kannel.endToEndPerSecond))
        let kannelOverHealthz = kannel.acceptedPerSecond / max(healthzRate, 0.001)
        add("kannel_over_healthz", "Kannel sendsms ÷ our /healthz req/s", kannelOverHealthz, String(format: "%.2f", kannelOverHealthz))
        let accepted = smsRate / max(kannel.acceptedPerSecond, 0.001)
        let endToEnd = singlesEndToEndPerSecond / max(kannel.endToEndPerSecond, 0.001)
        add("ours_over_kannel_rps", "ours ÷ Kannel, accepted req/s", accepted, String(format: "%.2f", accepted))
        add("ours_over_kannel_e2e", "ours ÷ Kannel, end-to-end msg/s", endToEnd, String(format: "%.2f", endToEnd))
    }

    /// The table, one figure a line, in Markdown.
    var table: String {
        let header = ["figure", "value", "target", "met"]
        let lines = rows.map { [$0.figure, $0.shown, $0.target, $0.met.map { $0 ? "yes" : "no" } ?? ""] }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        var text = [line(header), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
        text += lines.map(line)
        if let kannelNote { text.append("kannel: \(kannelNote)") }
        return text.joined(separator: "\n")
    }
}

/// A number rounded to whole with thousands separators, or to one decimal below 10 ("5,987", "0.5").
func format(_ value: Double) -> String {
    if value.isNaN || value.isInfinite { return "—" }
    if abs(value) < 10, value != value.rounded() { return String(format: "%.1f", value) }
    let whole = Int(value.rounded())
    let digits = String(abs(whole))
    var grouped = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
        grouped.append(digit)
    }
    return (whole < 0 ? "-" : "") + grouped
}
