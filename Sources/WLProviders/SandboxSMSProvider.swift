import WLDomain
public import WLServices

/// The sandbox SMS provider: nothing leaves the process. It accepts every message and reports its outcome at once,
/// from the contract's sandbox numbers: 254700000099 fails ("Simulated delivery failure"), every other number is
/// delivered ("Success"). (254700000088, insufficient credits, never reaches a provider: the dispatcher fails it.)
public struct SandboxSMSProvider: SMSProvider {
    /// The sandbox number whose messages fail delivery.
    public static let failingNumber = "254700000099"

    public init() {}

    public func send(_ text: String, from sender: String?, to recipients: [OutgoingSMS]) async -> [Int64: SendOutcome] {
        var outcomes: [Int64: SendOutcome] = [:]
        for recipient in recipients {
            let network = PhoneNumber(recipient.recipient).map { MobileNetwork(prefixOf: $0).rawValue }
            let report =
                recipient.recipient == Self.failingNumber
                ? DeliveryReport(status: .failed, response: "Simulated delivery failure", network: network)
                : DeliveryReport(status: .delivered, response: "Success", network: network)
            outcomes[recipient.messageID] = .accepted(providerMessageID: "SANDBOX-\(recipient.messageID)", report: report)
        }
        return outcomes
    }
}
