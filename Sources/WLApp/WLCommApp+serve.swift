public import Configuration
import Logging
public import Prometheus
import ServiceLifecycle

extension WLCommApp {
    /// Builds the application from `reader` and runs it until SIGTERM or SIGINT, then shuts it down: the HTTP server
    /// stops accepting and finishes the requests in flight, each worker finishes its round in flight and claims
    /// nothing new, then the clients and pools close and the database last (see ``buildApplication(reader:time:logger:metrics:)``).
    /// Whatever is still running after `shutdown.graceSeconds` is cancelled (messages it held are taken back by any
    /// instance when their lease runs out); a service that ignores cancellation for 5 s more stops the process.
    /// - Parameter metrics: The registry the process bootstrapped swift-metrics with.
    public static func serve(reader: ConfigReader, metrics: PrometheusCollectorRegistry? = nil) async throws {
        let settings = AppSettings(reader: reader)
        var logger = Logger(label: "wlcomm")
        logger.logLevel = settings.logLevel
        let app = try await buildApplication(reader: reader, logger: logger, metrics: metrics)
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = settings.shutdownGrace
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}
