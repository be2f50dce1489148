/// What one `wlcomm serve` process runs. Several processes on one PostgreSQL database may take different roles:
/// API instances behind a load balancer, worker instances beside them.
public enum ServerRole: String, Sendable, CaseIterable {
    /// The HTTP API and every background worker (the default; the only sensible choice on SQLite).
    case all
    /// The HTTP API (with the provider and M-Pesa callbacks and tracking links), no background workers.
    case api
    /// Every background worker (dispatchers, webhook deliverer, payment reconciler, housekeeper); the HTTP server
    /// answers only `/healthz`, `/readyz` and `/metrics`.
    case worker

    /// Whether this role runs the background workers.
    public var runsWorkers: Bool { self != .api }
    /// Whether this role serves the API (everything beyond health and metrics).
    public var servesAPI: Bool { self != .worker }
}
