/// The reverse proxies whose `X-Forwarded-For` the service believes (`trustedProxies`).
///
/// Behind a proxy every connection comes from the proxy, so every client would share one failed-authentication
/// budget and one tracking budget. When the peer is a trusted proxy, the client is the rightmost address of
/// `X-Forwarded-For` that is not itself a trusted proxy: each proxy appends the address it saw, so the entries to the
/// left of the first untrusted hop could be anything the client wrote. With no proxies configured the header is
/// ignored, whatever it says.
public struct TrustedProxies: Sendable {
    let blocks: [IPBlock]

    /// - Parameter entries: Addresses or CIDR blocks (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`).
    /// - Throws: ``TrustedProxiesError`` naming the first entry that is neither.
    public init(_ entries: [String]) throws {
        blocks = try entries.map { entry in
            guard let block = IPBlock(entry) else { throw TrustedProxiesError(entry: entry) }
            return block
        }
    }

    private init(blocks: [IPBlock]) {
        self.blocks = blocks
    }

    /// No proxy is trusted.
    public static let none = TrustedProxies(blocks: [])

    public var isEmpty: Bool { blocks.isEmpty }

    /// Whether `address` is one of the trusted proxies.
    public func contains(_ address: String) -> Bool {
        guard let bytes = IPBlock.bytes(of: address) else { return false }
        return blocks.contains { $0.contains(bytes) }
    }

    /// The client behind `peer`, given the values of every `X-Forwarded-For` field in order.
    public func client(peer: String, forwardedFor fields: [String]) -> String {
        guard contains(peer) else { return peer }
        let hops = fields.flatMap { $0.split(separator: ",") }.map { String($0.filter { $0 != " " && $0 != "\t" }) }
        var client = peer
        for hop in hops.reversed() {
            // A hop that is no address was not written by a proxy we trust: stop at the last one that was.
            guard IPBlock.bytes(of: hop) != nil else { return client }
            client = hop
            if !contains(hop) { return hop }
        }
        return client
    }
}

/// A `trustedProxies` entry that is neither an address nor a CIDR block.
public struct TrustedProxiesError: Error, CustomStringConvertible {
    public var entry: String
    public var description: String { "trustedProxies: \"\(entry)\" is not an IP address or CIDR block (e.g. 10.0.0.0/8)." }
}
