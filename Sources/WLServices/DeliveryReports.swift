import Foundation
public import Logging
public import WLDomain
public import WLPorts

/// Applies providers' delivery reports to messages. Duplicate and out-of-order reports change nothing (statuses
/// only move forward); a report for an id no message carries yet is acknowledged and kept, to be applied when the
/// send under that id is recorded (the provider may call back before the dispatcher has committed its answer).
public struct DeliveryReports: Sendable {
    let store: any Store
    let time: any TimeSource
    let logger: Logger
    let metrics: any WorkMetrics

    public init(store: any Store, time: any TimeSource, logger: Logger, metrics: any WorkMetrics = NoWorkMetrics()) {
        self.store = store
        self.time = time
        self.logger = logger
        self.metrics = metrics
    }

    /// An Africa's Talking report (form fields `id`, `status`, `phoneNumber`, `networkCode`, `failureReason`):
    /// Sent, Submitted and Buffered are processing; Success is delivered; Failed, Rejected, Expired and
    /// AbsentSubscriber are failed, with the failure reason as the response. A failure for `UserInBlackList` (the
    /// subscriber blocked the sender) also puts the number on the firm's opt-out list, in the same transaction
    /// (``DispatchRules/blocksSender(_:)``), whether the report is applied now or parked until its send is recorded.
    /// - Returns: The message after the report, or `nil` when the report was unusable or was kept for later.
    @discardableResult
    public func africasTalking(_ form: [String: String]) async throws -> Message? {
        guard let id = form["id"], !id.isEmpty, let raw = form["status"], let report = Self.africasTalkingReport(form, status: raw) else {
            logger.warning("unusable Africa's Talking report", metadata: ["status": "\(form["status"] ?? "")"])
            return nil
        }
        guard
            let (message, changed) = try await store.applyReport(
                providerMessageID: id, status: report.status, response: report.response, network: report.network, now: time.now)
        else {
            logger.info("report before its send was recorded: kept", metadata: ["provider_message_id": "\(id)"])
            return nil
        }
        if changed {
            metrics.messages(channel: .sms, status: message.status, category: message.category, provider: "africastalking", count: 1)
        }
        return message
    }

    static func africasTalkingReport(_ form: [String: String], status raw: String) -> DeliveryReport? {
        let network = form["networkCode"].flatMap(MobileNetwork.init(networkCode:))?.rawValue
        switch raw {
        case "Sent", "Submitted", "Buffered": return DeliveryReport(status: .processing, response: raw, network: network)
        case "Success": return DeliveryReport(status: .delivered, response: "Success", network: network)
        case "Failed", "Rejected", "Expired", "AbsentSubscriber":
            let reason = form["failureReason"].flatMap { $0.isEmpty ? nil : $0 }
            return DeliveryReport(status: .failed, response: reason.map { "\(raw): \($0)" } ?? raw, network: network)
        default: return nil
        }
    }
}
