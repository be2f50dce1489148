import Foundation
import Synchronization
import WLDomain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SSRF guard for webhook URLs: refuses hosts that are, or resolve to, any address of the IANA IPv4 and IPv6
/// Special-Purpose Address Registries (loopback, private, link-local, CGNAT, documentation, benchmarking, NAT64, 6to4,
/// Teredo and the rest), multicast, deprecated IPv6 site-local, and IPv6 outside global unicast `2000::/3`. Checked
/// when a webhook is set and again before every connection (the transport then connects to the address it checked).
public enum AddressGuard {
    /// Why an address is refused, or `nil` when it may be used.
    public static func refusal(forAddress address: String) -> String? {
        guard let bytes = IPBlock.bytes(of: address) else { return "not an IP address" }
        return bytes.count == 4 ? refusal(ipv4: bytes) : refusal(ipv6: bytes)
    }

    static func refusal(ipv4 bytes: [UInt8]) -> String? {
        mostSpecificBlock(containing: bytes, in: refusedIPv4Blocks)?.reason
    }

    static func refusal(ipv6 bytes: [UInt8]) -> String? {
        if let block = mostSpecificBlock(containing: bytes, in: refusedIPv6Blocks) { return block.reason }
        // Only 2000::/3 is allocated as global unicast; everything else is reserved or unassigned, so an address there
        // is refused by default rather than waiting for a registry row.
        if bytes[0] & 0xE0 != 0x20 { return "not a global unicast address" }
        return nil
    }

    // The longest match names the reason: ::1 is "a loopback address", not the IPv4-compatible ::/96 around it.
    private static func mostSpecificBlock(containing address: [UInt8], in blocks: [AddressBlock]) -> AddressBlock? {
        blocks.filter { $0.contains(address) }.max { $0.length < $1.length }
    }

    // Every row of the IANA IPv4 Special-Purpose Address Registry
    // (https://www.iana.org/assignments/iana-ipv4-special-registry/, updated 2025-10-09), plus multicast, which has a
    // registry of its own. Rows the registry marks globally reachable (192.0.0.9 and .10, AS112, AMT) are refused too:
    // they are anycast protocol infrastructure, never a webhook receiver, and a receiver belongs on ordinary unicast.
    private static let refusedIPv4Blocks: [AddressBlock] = [
        AddressBlock("0.0.0.0/8", "a \"this network\" address", rfc: "RFC 791"),
        AddressBlock("0.0.0.0/32", "an unspecified address", rfc: "RFC 1122"),
        AddressBlock("10.0.0.0/8", "a private address", rfc: "RFC 1918"),
        AddressBlock("100.64.0.0/10", "a carrier-grade NAT address", rfc: "RFC 6598"),
        AddressBlock("127.0.0.0/8", "a loopback address", rfc: "RFC 1122"),
        AddressBlock("169.254.0.0/16", "a link-local address", rfc: "RFC 3927"),
        AddressBlock("172.16.0.0/12", "a private address", rfc: "RFC 1918"),
        AddressBlock("192.0.0.0/24", "an IETF protocol assignment", rfc: "RFC 6890"),
        AddressBlock("192.0.0.0/29", "an IPv4 service continuity address", rfc: "RFC 7335"),
        AddressBlock("192.0.0.8/32", "the IPv4 dummy address", rfc: "RFC 7600"),
        AddressBlock("192.0.0.9/32", "the PCP anycast address", rfc: "RFC 7723"),
        AddressBlock("192.0.0.10/32", "the TURN anycast address", rfc: "RFC 8155"),
        AddressBlock("192.0.0.170/32", "a NAT64/DNS64 discovery address", rfc: "RFC 8880"),
        AddressBlock("192.0.0.171/32", "a NAT64/DNS64 discovery address", rfc: "RFC 8880"),
        AddressBlock("192.0.2.0/24", "a documentation address", rfc: "RFC 5737"),
        AddressBlock("192.31.196.0/24", "an AS112 address", rfc: "RFC 7535"),
        AddressBlock("192.52.193.0/24", "an AMT anycast address", rfc: "RFC 7450"),
        AddressBlock("192.88.99.0/24", "a 6to4 relay anycast address", rfc: "RFC 7526"),
        AddressBlock("192.88.99.2/32", "the 6a44 relay anycast address", rfc: "RFC 6751"),
        AddressBlock("192.168.0.0/16", "a private address", rfc: "RFC 1918"),
        AddressBlock("192.175.48.0/24", "an AS112 address", rfc: "RFC 7534"),
        AddressBlock("198.18.0.0/15", "a benchmarking address", rfc: "RFC 2544"),
        AddressBlock("198.51.100.0/24", "a documentation address", rfc: "RFC 5737"),
        AddressBlock("203.0.113.0/24", "a documentation address", rfc: "RFC 5737"),
        AddressBlock("240.0.0.0/4", "a reserved address", rfc: "RFC 1112"),
        AddressBlock("255.255.255.255/32", "the limited broadcast address", rfc: "RFC 8190"),
        AddressBlock("224.0.0.0/4", "a multicast address", rfc: "RFC 5771"),
    ]

    // Every row of the IANA IPv6 Special-Purpose Address Registry
    // (https://www.iana.org/assignments/iana-ipv6-special-registry/, updated 2025-10-09), plus IPv4-compatible,
    // site-local and multicast addresses. Rows marked globally reachable are refused too: NAT64 and 6to4 carry an
    // IPv4 address that could be private, and the anycast, AMT, AS112, ORCHIDv2 and DRIP rows are protocol
    // infrastructure or identifiers, never a webhook receiver.
    private static let refusedIPv6Blocks: [AddressBlock] = [
        AddressBlock("::1/128", "a loopback address", rfc: "RFC 4291"),
        AddressBlock("::/128", "an unspecified address", rfc: "RFC 4291"),
        AddressBlock("::ffff:0:0/96", "an IPv4-mapped IPv6 address", rfc: "RFC 4291"),
        AddressBlock("64:ff9b::/96", "a NAT64 address", rfc: "RFC 6052"),
        AddressBlock("64:ff9b:1::/48", "a local-use NAT64 address", rfc: "RFC 8215"),
        AddressBlock("100::/64", "a discard-only address", rfc: "RFC 6666"),
        AddressBlock("100:0:0:1::/64", "a dummy IPv6 address", rfc: "RFC 9780"),
        AddressBlock("2001::/23", "an IETF protocol assignment", rfc: "RFC 2928"),
        AddressBlock("2001::/32", "a Teredo address", rfc: "RFC 4380"),
        AddressBlock("2001:1::1/128", "the PCP anycast address", rfc: "RFC 7723"),
        AddressBlock("2001:1::2/128", "the TURN anycast address", rfc: "RFC 8155"),
        AddressBlock("2001:1::3/128", "the DNS-SD service registration anycast address", rfc: "RFC 9665"),
        AddressBlock("2001:2::/48", "a benchmarking address", rfc: "RFC 5180"),
        AddressBlock("2001:3::/32", "an AMT address", rfc: "RFC 7450"),
        AddressBlock("2001:4:112::/48", "an AS112 address", rfc: "RFC 7535"),
        AddressBlock("2001:10::/28", "a deprecated ORCHID address", rfc: "RFC 4843"),
        AddressBlock("2001:20::/28", "an ORCHIDv2 address", rfc: "RFC 7343"),
        AddressBlock("2001:30::/28", "a drone remote ID (DET) address", rfc: "RFC 9374"),
        AddressBlock("2001:db8::/32", "a documentation address", rfc: "RFC 3849"),
        AddressBlock("2002::/16", "a 6to4 address", rfc: "RFC 3056"),
        AddressBlock("2620:4f:8000::/48", "an AS112 address", rfc: "RFC 7534"),
        AddressBlock("3fff::/20", "a documentation address", rfc: "RFC 9637"),
        AddressBlock("5f00::/16", "an SRv6 segment identifier", rfc: "RFC 9602"),
        AddressBlock("fc00::/7", "a unique local (private) address", rfc: "RFC 4193"),
        AddressBlock("fe80::/10", "a link-local address", rfc: "RFC 4291"),
        AddressBlock("::/96", "an IPv4-compatible IPv6 address", rfc: "RFC 4291"),
        AddressBlock("fec0::/10", "a site-local address", rfc: "RFC 3879"),
        AddressBlock("ff00::/8", "a multicast address", rfc: "RFC 4291"),
    ]

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

    /// Where ``checkedAddresses(of:)`` waits for the resolver off the request threads: a queue of its own may add
    /// threads when lookups block, while the cooperative pool has one a core.
    private static let lookups = DispatchQueue(label: "wlcomm.address-guard", attributes: .concurrent)

    /// How long a caller waits for a host's lookup: the resolver's own timeouts and retries can take far longer.
    public static let lookupSeconds: Double = 5
    /// Lookups running at once at most: a lookup the resolver never answers keeps its thread, and tenants choose the
    /// names, so beyond this a new one is refused at once (503: the service is busy, not the URL wrong) instead of
    /// taking another thread.
    public static let lookupsAtOnce = 64
    private static let running = Mutex(0)

    /// ``checkedAddresses(of:)`` on a thread of its own, so that a host whose DNS answers slowly holds up no request
    /// but its own, and that for at most ``lookupSeconds``.
    /// - Throws: ``WebhookAddressError`` naming the reason.
    public static func checkedAddressesOffThread(of host: String) async throws -> [String] {
        try await offThread(seconds: lookupSeconds, or: WebhookAddressError(reason: "\(host) did not resolve in time")) {
            try checkedAddresses(of: host)
        }
    }

    /// `work` on the lookups' queue, or `timeout` thrown once `seconds` have passed without its answer (the work itself
    /// runs on: a blocked resolver call cannot be stopped). The timer is a task, not the queue, whose threads the
    /// blocked work may all hold.
    package static func offThread<T: Sendable>(
        seconds: Double, or timeout: any Error, _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let admitted = running.withLock { count in
            guard count < lookupsAtOnce else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw DomainError(.serviceUnavailable, "Too many webhook host lookups are under way; try again shortly.", retryAfter: 1)
        }
        let answer = OnceContinuation<T>()
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            answer.resume(with: .failure(timeout))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            answer.set(continuation)
            lookups.async {
                let result = Result { try work() }
                running.withLock { $0 -= 1 }
                answer.resume(with: result)
            }
        }
    }

    /// The addresses of `host`, every one of them allowed. Blocking (it resolves the host).
    /// - Throws: ``WebhookAddressError`` naming the reason.
    public static func checkedAddresses(of host: String) throws -> [String] {
        let addresses = resolve(host)
        guard !addresses.isEmpty else { throw WebhookAddressError(reason: "\(host) does not resolve") }
        for address in addresses {
            if let reason = refusal(forAddress: address) {
                // The address itself is not told: a tenant could map our internal names with it.
                let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
                let what = literal == address ? "\(host) is \(reason)" : "\(host) resolves to \(reason)"
                throw WebhookAddressError(reason: "\(what); webhooks go to public addresses only")
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

// One special-purpose block, with why it is refused.
private struct AddressBlock: Sendable {
    let block: IPBlock
    let reason: String
    let rfc: String

    // `cidr` is a literal in the tables above, so a typo is a programming error caught by the first refusal check.
    init(_ cidr: String, _ reason: String, rfc: String) {
        guard let block = IPBlock(cidr), cidr.contains("/") else { preconditionFailure("not a CIDR block: \(cidr)") }
        self.block = block
        self.reason = reason
        self.rfc = rfc
    }

    var length: Int { block.length }

    func contains(_ address: [UInt8]) -> Bool { block.contains(address) }
}
