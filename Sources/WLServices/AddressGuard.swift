import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SSRF guard for webhook URLs: refuses hosts that are, or resolve to, loopback, private, link-local, CGNAT,
/// multicast, unspecified, reserved or IPv4-mapped IPv6 addresses. Checked when a webhook is set and again before
/// every connection (the transport then connects to the address it checked).
public enum AddressGuard {
    /// Why an address is refused, or `nil` when it may be used.
    public static func refusal(forAddress address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let bytes = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return refusal(ipv4: bytes)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            return refusal(ipv6: bytes)
        }
        return "not an IP address"
    }

    static func refusal(ipv4 b: [UInt8]) -> String? {
        switch (b[0], b[1]) {
        case (0, _): "an unspecified address"
        case (10, _), (172, 16...31), (192, 168): "a private address"
        case (127, _): "a loopback address"
        case (169, 254): "a link-local address"
        case (100, 64...127): "a carrier-grade NAT address"
        case (224...239, _): "a multicast address"
        case (240...255, _): "a reserved address"
        case (192, 0) where b[2] == 0: "a reserved address"
        default: nil
        }
    }

    static func refusal(ipv6 b: [UInt8]) -> String? {
        if b.allSatisfy({ $0 == 0 }) { return "an unspecified address" }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "a loopback address" }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return "an IPv4-mapped IPv6 address" }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return "an IPv4-compatible IPv6 address" }
        if b[0] & 0xFE == 0xFC { return "a private address" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "a link-local address" }
        if b[0] == 0xFF { return "a multicast address" }
        return nil
    }

    /// The addresses `host` resolves to (an IP literal resolves to itself). Blocking: call off the cooperative pool
    /// where that matters.
    public static func resolve(_ host: String) -> [String] {
        let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(literal, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    /// The addresses of `host`, every one of them allowed.
    /// - Throws: ``WebhookAddressError`` naming the reason.
    public static func checkedAddresses(of host: String) throws -> [String] {
        let addresses = resolve(host)
        guard !addresses.isEmpty else { throw WebhookAddressError(reason: "\(host) does not resolve") }
        for address in addresses {
            if let reason = refusal(forAddress: address) {
                throw WebhookAddressError(reason: "\(host) is \(reason) (\(address)); webhooks go to public addresses only")
            }
        }
        return addresses
    }
}

/// A webhook URL refused by the SSRF guard.
public struct WebhookAddressError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var description: String { reason }

    public init(reason: String) {
        self.reason = reason
    }
}
