import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address block in CIDR form (`10.0.0.0/8`, `fd00::/8`); a bare address is a block of one.
public struct IPBlock: Sendable, Hashable {
    /// The network's bytes: 4 for IPv4, 16 for IPv6.
    public let network: [UInt8]
    /// How many leading bits an address shares with `network` to be in the block.
    public let length: Int

    /// Parses `10.0.0.0/8`, `::1/128` or a bare address; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let network = Self.bytes(of: String(parts[0])) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : network.count * 8
        guard let length, (0...network.count * 8).contains(length) else { return nil }
        self.network = network
        self.length = length
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address, or `nil` when `address` is neither.
    public static func bytes(of address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: v4.s_addr) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        return nil
    }

    /// The key a per-address limit counts `address` under: an IPv4 address as it is (an IPv4-mapped IPv6 one as its
    /// IPv4 address), an IPv6 address by its /64, the block one subscriber or host is given, so that a client cannot
    /// step past a limit by taking a new address of its own block for each request. Anything else as it is.
    public static func limitKey(of address: String) -> String {
        blockKey(of: address) ?? exactKey(of: address)
    }

    /// An address as one key: an IPv4-mapped IPv6 address as its IPv4 address, any other as it is.
    public static func exactKey(of address: String) -> String {
        guard let bytes = bytes(of: address), bytes.count == 16, isIPv4Mapped(bytes) else { return address }
        return bytes[12...].map { String($0) }.joined(separator: ".")
    }

    /// An IPv6 address's /64 as a key (`2001:db8:1:2::/64`); `nil` for IPv4, IPv4-mapped and anything else.
    public static func blockKey(of address: String) -> String? {
        guard let bytes = bytes(of: address), bytes.count == 16, !isIPv4Mapped(bytes) else { return nil }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    private static func isIPv4Mapped(_ bytes: [UInt8]) -> Bool {
        bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
    }

    /// Whether the address with these bytes is in the block (an IPv4 address is never in an IPv6 block).
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        let wholeBytes = length / 8
        guard address[..<wholeBytes] == network[..<wholeBytes] else { return false }
        let remainingBits = length % 8
        guard remainingBits > 0 else { return true }
        let mask = UInt8(0xFF) << (8 - remainingBits)
        return address[wholeBytes] & mask == network[wholeBytes] & mask
    }
}
