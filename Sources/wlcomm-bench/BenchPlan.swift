import WLApp

/// How big each phase of a run is: the full run the targets speak of, or a short one for CI.
struct BenchPlan: Sendable {
    /// Connections of every wrk run.
    var connections = 64
    /// Seconds of every wrk run.
    var loadSeconds = 10
    var blastSize = 10_000
    /// Blasts timed; the medians are printed.
    var blasts = 3
    /// Recipients of the webhook throughput phase (two events each).
    var webhookRecipients = 5_000
    /// Events per second of the webhook latency phase, and for how long.
    var pacedRate = 1_000
    var pacedSeconds = 10
    var emailRecipients = 2_000
    var smtpPool = 8
    /// Server settings beside the benchmark's own, `key=value` (`--setting`).
    var settings: [String] = []
    /// The server phases to run (`--only`); all of them when empty. `/healthz` always runs.
    var phases: Set<BenchPhase> = []
    /// Whether the sandbox firm has a webhook endpoint (the local receiver); without one no event is POSTed
    /// (`--no-webhook-endpoint`).
    var webhookEndpoint = true

    /// Whether `phase` runs in this plan.
    func runs(_ phase: BenchPhase) -> Bool { phases.isEmpty || phases.contains(phase) }

    /// Whether the measured server runs its workers: not when a `role` setting names a role without them
    /// (`role=api`), in which case nothing is ever dispatched.
    var serverDispatches: Bool {
        let role = settings.last { $0.hasPrefix("role=") }.map { String($0.dropFirst("role=".count)) }
        return role.flatMap(ServerRole.init(rawValue:))?.runsWorkers ?? true
    }

    /// Why this plan cannot run, or nil: with the workers off only `singles` can run (every other phase waits for
    /// dispatch), and without a webhook endpoint only `singles` and `blasts` (the others wait for webhooks).
    var problem: String? {
        let waitingForDispatch = BenchPhase.allCases.filter { $0 != .singles && runs($0) }
        if !serverDispatches, !waitingForDispatch.isEmpty {
            return "the server runs no workers, so only --only singles can run (not \(Self.names(waitingForDispatch)))"
        }
        let waitingForWebhooks = waitingForDispatch.filter { $0 != .blasts }
        if !webhookEndpoint, !waitingForWebhooks.isEmpty {
            return "without a webhook endpoint only --only singles,blasts can run (not \(Self.names(waitingForWebhooks)))"
        }
        return nil
    }

    private static func names(_ phases: [BenchPhase]) -> String { phases.map(\.rawValue).joined(separator: ", ") }

    /// The short plan for CI: every phase small enough that both engines together take under three minutes, even
    /// from a debug build.
    static let short = BenchPlan(
        loadSeconds: 2, blastSize: 1_000, blasts: 1, webhookRecipients: 500, pacedSeconds: 2, emailRecipients: 300)
}

/// A phase of the server run that `--only` can pick.
enum BenchPhase: String, CaseIterable, Sendable {
    case singles, blasts, webhooks, latency, email
}
