import Prometheus
import WLDomain
import WLPorts
import WLServices

/// The background work's metrics in Prometheus' naming:
///
/// - `wlcomm_provider_calls_total{provider,outcome}` and `wlcomm_provider_call_duration_seconds{provider}`
/// - `wlcomm_messages_total{channel,status,category,provider}`
/// - `wlcomm_webhook_attempts_total{outcome}` and `wlcomm_webhook_delivery_lag_seconds`
/// - `wlcomm_payments_total{status}`
/// - `wlcomm_smtp_replies_total{class}`
/// - `wlcomm_credits_total{kind}` (credits, four decimals)
struct PrometheusWorkMetrics: WorkMetrics {
    let registry: PrometheusCollectorRegistry

    func providerCall(provider: String, outcome: String, seconds: Double) {
        registry.makeCounter(
            descriptor: PrometheusMetrics.descriptor(
                "provider_calls", unit: "total", "Calls to outside providers, by provider and outcome (ok: it answered; error: it did not)."),
            labels: [("provider", provider), ("outcome", outcome)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: PrometheusMetrics.descriptor("provider_call_duration", unit: "seconds", "Time outside providers took to answer a call."),
            labels: [("provider", provider)], buckets: PrometheusHTTPMetrics.buckets + [.seconds(30)]
        ).recordNanoseconds(Int64(seconds * 1_000_000_000))
    }

    func messages(channel: Channel, status: MessageStatus, category: SMSCategory?, provider: String, count: Int) {
        registry.makeCounter(
            descriptor: PrometheusMetrics.descriptor(
                "messages", unit: "total", "Messages that reached a status, by channel, status, category (SMS) and provider (none: never sent)."),
            labels: [("channel", channel.rawValue), ("status", status.rawValue), ("category", category?.rawValue ?? "none"), ("provider", provider)]
        ).increment(by: Int64(count))
    }

    func webhookAttempt(outcome: String, lagSeconds: Double) {
        registry.makeCounter(
            descriptor: PrometheusMetrics.descriptor("webhook_attempts", unit: "total", "Webhook delivery attempts, by outcome."),
            labels: [("outcome", outcome)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: PrometheusMetrics.descriptor(
                "webhook_delivery_lag", unit: "seconds", "Time from an event to each attempt to deliver it."),
            labels: [], buckets: Self.lagBuckets
        ).recordNanoseconds(Int64(lagSeconds * 1_000_000_000))
    }

    func payment(status: String) {
        registry.makeCounter(
            descriptor: PrometheusMetrics.descriptor("payments", unit: "total", "M-Pesa purchases that reached a final status."),
            labels: [("status", status)]
        ).increment()
    }

    func smtpReply(class replyClass: String) {
        registry.makeCounter(
            descriptor: PrometheusMetrics.descriptor("smtp_replies", unit: "total", "SMTP relay answers about emails, by class (error: none came)."),
            labels: [("class", replyClass)]
        ).increment()
    }

    func credits(kind: String, amount: Credits) {
        registry.makeCounter(
            descriptor: PrometheusMetrics.descriptor("credits", unit: "total", "SMS credits debited by sends, refunded, and purchased."),
            labels: [("kind", kind)]
        ).increment(by: Double(amount.units) / Double(Credits.unitsPerCredit))
    }

    static let lagBuckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(60),
        .seconds(300), .seconds(1_800), .seconds(3_600), .seconds(21_600), .seconds(86_400),
    ]
}
