import Dispatch
public import Hummingbird

/// Where the HTTP metrics go (the composition root gives the Prometheus registry).
public protocol HTTPMetricsRecorder: Sendable {
    /// One answered request: its route pattern, method, status and how long it took.
    func record(route: String, method: String, status: Int, seconds: Double)
}

/// Times every request and hands it to a ``HTTPMetricsRecorder``. The route is the matched pattern
/// (`/api/v1/communication/sms/{message_id}`), never the raw path, so an id or a scanner's random path adds no
/// series; a path no route matches is `unmatched`.
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let recorder: any HTTPMetricsRecorder

    public init(recorder: any HTTPMetricsRecorder) {
        self.recorder = recorder
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            record(context, request, status, since: started)
            return response
        } catch {
            status = ((error as? any HTTPResponseError)?.status ?? .internalServerError).code
            record(context, request, status, since: started)
            throw error
        }
    }

    private func record(_ context: Context, _ request: Request, _ status: Int, since started: UInt64) {
        // Hummingbird names the route of a request no route matched "NotFound" (or leaves it unset).
        let route = context.endpointPath.map { $0 == "NotFound" ? "unmatched" : $0 } ?? "unmatched"
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000_000
        recorder.record(route: route, method: request.method.rawValue, status: status, seconds: seconds)
    }
}
