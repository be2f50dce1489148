/// A delivery report: where a message stands at the network.
public struct DeliveryReport: Sendable, Hashable {
    public var status: MessageStatus
    public var response: String
    public var network: String?

    public init(status: MessageStatus, response: String, network: String?) {
        self.status = status
        self.response = response
        self.network = network
    }
}
