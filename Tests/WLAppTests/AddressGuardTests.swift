import Foundation
import Testing
import WLDomain
import WLPorts
import WLProviders
import WLServices
import WLStore

@Suite struct AddressGuardTests {
    @Test(arguments: [
        "127.0.0.1", "127.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "100.127.255.255", "224.0.0.1", "239.255.255.250", "0.0.0.0", "255.255.255.255", "::1", "::", "fc00::1", "fd12:3456::1",
        "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "not-an-address",
    ])
    func forbiddenAddressesAreRefused(address: String) {
        #expect(AddressGuard.refusal(forAddress: address) != nil)
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "196.201.214.200", "2001:4860:4860::8888", "2606:4700:4700::1111", "2c0f:fe38::1",
    ])
    func publicAddressesPass(address: String) {
        #expect(AddressGuard.refusal(forAddress: address) == nil)
    }

    @Test(arguments: [
        "http://127.0.0.1/hook", "http://localhost:8080/hook", "https://10.0.0.5/x", "http://[::1]/x", "http://[::ffff:10.0.0.1]/x",
        "http://169.254.169.254/latest",
    ])
    func settingAPrivateWebhookIsRefusedWhileTheGuardIsOn(url: String) async throws {
        let app = TestApp()
        try await app.admin { _, store in
            _ = try await SandboxSeeder(store: store, time: SystemTimeSource()).seed()
            let guarded = FirmAdmin(store: store, time: SystemTimeSource())
            let error = await #expect(throws: DomainError.self) { try await guarded.setWebhook(firm: "sandbox", url: url, secret: nil) }
            #expect(error?.code == .validation)
            #expect(error?.fields["url"]?.first?.hasSuffix("webhooks go to public addresses only") == true)
            let open = FirmAdmin(store: store, time: SystemTimeSource(), allowPrivateWebhooks: true)
            try await open.setWebhook(firm: "sandbox", url: url, secret: nil)
            let sandbox = try #require(try await store.firm(slug: "sandbox"))
            #expect(try await store.webhook(firmID: sandbox.id)?.url == url)
        }
    }

    @Test func theTransportRefusesAPrivateAddressBeforeConnecting() async throws {
        let transport = HTTPWebhookTransport()
        let loopback = await #expect(throws: WebhookAddressError.self) {
            try await transport.post(url: "http://127.0.0.1:9/hook", headers: [], body: [])
        }
        #expect(loopback?.reason == "127.0.0.1 is a loopback address; webhooks go to public addresses only")
        let mapped = await #expect(throws: WebhookAddressError.self) {
            try await transport.post(url: "http://[::ffff:192.168.0.1]:9/hook", headers: [], body: [])
        }
        #expect(mapped?.reason.hasSuffix("webhooks go to public addresses only") == true)
        // A name says what it resolves to, never the address: a tenant could map our internal names with it.
        let named = await #expect(throws: WebhookAddressError.self) {
            try await transport.post(url: "http://localhost:9/hook", headers: [], body: [])
        }
        #expect(named?.reason.hasPrefix("localhost resolves to a loopback address") == true)
        #expect(named?.reason.contains("127.0.0.1") == false && named?.reason.contains("::1") == false)
    }

    @Test(arguments: ianaIPv4Registry + ianaIPv6Registry + otherRefusedBlocks)
    func everyBlockOfTheSpecialPurposeRegistriesIsRefused(block: SpecialPurposeBlock) {
        #expect(AddressGuard.refusal(forAddress: block.first) != nil, "first address \(block.first) of \(block.cidr)")
        #expect(AddressGuard.refusal(forAddress: block.last) != nil, "last address \(block.last) of \(block.cidr)")
        for neighbour in block.publicNeighbours {
            #expect(AddressGuard.refusal(forAddress: neighbour) == nil, "\(neighbour) just outside \(block.cidr)")
        }
    }

    @Test(arguments: ["4000::1", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "c000::1", "::ffff:0:808:808", "64:ff9a::1"])
    func ipv6OutsideGlobalUnicastIsRefused(address: String) {
        #expect(AddressGuard.refusal(forAddress: address) == "not a global unicast address")
    }

    // A public IPv4 address wrapped by NAT64, 6to4 or Teredo is refused all the same: the guard refuses the wrapper.
    @Test(arguments: ["64:ff9b::8.8.8.8", "64:ff9b:1::808:808", "2002:808:808::1", "2001:0:808:808::1", "::8.8.8.8"])
    func aPublicIPv4AddressInsideAnIPv6WrapperIsRefused(address: String) {
        #expect(AddressGuard.refusal(forAddress: address) != nil)
    }

    @Test(arguments: [
        ("192.0.2.1", "a documentation address"), ("198.18.0.1", "a benchmarking address"), ("192.0.0.9", "the PCP anycast address"),
        ("::1", "a loopback address"), ("::", "an unspecified address"), ("2001:2::1", "a benchmarking address"),
        ("2001::1", "a Teredo address"), ("64:ff9b::a00:1", "a NAT64 address"), ("3fff::1", "a documentation address"),
        ("fec0::1", "a site-local address"),
    ])
    func theMostSpecificBlockNamesTheReason(address: String, reason: String) {
        #expect(AddressGuard.refusal(forAddress: address) == reason)
    }

    @Test(arguments: [
        ("203.0.113.7", "203.0.113.7"), ("2001:db8:1:2::7", "2001:db8:1:2::/64"), ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.9", "198.51.100.9"), ("unknown", "unknown"),
    ])
    func aPerAddressLimitCountsAnIPv6ClientByItsSlash64(address: String, key: String) {
        #expect(IPBlock.limitKey(of: address) == key)
    }

    @Test func failedAuthenticationsCountPerAddressAndTenTimesThatPerSlash64() async throws {
        var settings = LimitSettings()
        settings.failedAuthentication = RateLimitPolicy(name: "auth", quota: 2, window: 60)
        let limiter = RateLimiter(store: InProcessRateLimits(), time: ManualTime(), settings: settings)
        for _ in 1...2 { _ = try await limiter.authenticationFailed(from: "2001:db8:1:2::1") }
        // One address over its own quota does not lock its neighbours in the /64 out.
        #expect(try await limiter.authenticationAllowed(from: "2001:db8:1:2::1")?.allowed == false)
        #expect(try await limiter.authenticationAllowed(from: "2001:db8:1:2::2")?.allowed == true)
        // A new address per guess reaches the block's quota (20) and stops there; another block is not touched.
        for host in 3...20 { _ = try await limiter.authenticationFailed(from: "2001:db8:1:2::\(host)") }
        #expect(try await limiter.authenticationAllowed(from: "2001:db8:1:2::99")?.allowed == false)
        #expect(try await limiter.authenticationAllowed(from: "2001:db8:1:3::1")?.allowed == true)
        // IPv4 counts by address alone.
        for _ in 1...2 { _ = try await limiter.authenticationFailed(from: "203.0.113.7") }
        #expect(try await limiter.authenticationAllowed(from: "203.0.113.7")?.allowed == false)
        #expect(try await limiter.authenticationAllowed(from: "203.0.113.8")?.allowed == true)
    }

    @Test func aLookupThatDoesNotAnswerIsGivenUpAfterItsTimeAndAQuickOneAnswers() async throws {
        let release = DispatchSemaphore(value: 0)
        let start = ContinuousClock.now
        let error = await #expect(throws: WebhookAddressError.self) {
            try await AddressGuard.offThread(seconds: 0.2, or: WebhookAddressError(reason: "slow.example did not resolve in time")) {
                release.wait()
                return [String]()
            }
        }
        #expect(error?.reason == "slow.example did not resolve in time")
        #expect(ContinuousClock.now - start < .seconds(10))
        release.signal()
        let quick = try await AddressGuard.offThread(seconds: 5, or: WebhookAddressError(reason: "late")) { ["93.184.215.14"] }
        #expect(quick == ["93.184.215.14"])
    }

    @Test func aHostInADocumentationBlockIsRefusedWithItsReason() {
        let error = #expect(throws: WebhookAddressError.self) { try AddressGuard.checkedAddresses(of: "[2001:db8::7]") }
        #expect(error?.reason == "[2001:db8::7] is a documentation address; webhooks go to public addresses only")
    }
}

/// One row of an IANA special-purpose registry, written out by hand: its first and last address, and the addresses
/// just outside it that are ordinary public unicast (none where the neighbour is itself special).
struct SpecialPurposeBlock: Sendable, CustomTestStringConvertible {
    let cidr: String
    let first: String
    let last: String
    let publicNeighbours: [String]

    init(_ cidr: String, first: String, last: String, publicNeighbours: [String]) {
        self.cidr = cidr
        self.first = first
        self.last = last
        self.publicNeighbours = publicNeighbours
    }

    var testDescription: String { cidr }
}

// Every row of https://www.iana.org/assignments/iana-ipv4-special-registry/ (updated 2025-10-09).
private let ianaIPv4Registry: [SpecialPurposeBlock] = [
    SpecialPurposeBlock("0.0.0.0/8", first: "0.0.0.0", last: "0.255.255.255", publicNeighbours: ["1.0.0.0"]),
    SpecialPurposeBlock("0.0.0.0/32", first: "0.0.0.0", last: "0.0.0.0", publicNeighbours: []),
    SpecialPurposeBlock("10.0.0.0/8", first: "10.0.0.0", last: "10.255.255.255", publicNeighbours: ["9.255.255.255", "11.0.0.0"]),
    SpecialPurposeBlock("100.64.0.0/10", first: "100.64.0.0", last: "100.127.255.255", publicNeighbours: ["100.63.255.255", "100.128.0.0"]),
    SpecialPurposeBlock("127.0.0.0/8", first: "127.0.0.0", last: "127.255.255.255", publicNeighbours: ["126.255.255.255", "128.0.0.0"]),
    SpecialPurposeBlock("169.254.0.0/16", first: "169.254.0.0", last: "169.254.255.255", publicNeighbours: ["169.253.255.255", "169.255.0.0"]),
    SpecialPurposeBlock("172.16.0.0/12", first: "172.16.0.0", last: "172.31.255.255", publicNeighbours: ["172.15.255.255", "172.32.0.0"]),
    SpecialPurposeBlock("192.0.0.0/24", first: "192.0.0.0", last: "192.0.0.255", publicNeighbours: ["191.255.255.255", "192.0.1.0"]),
    SpecialPurposeBlock("192.0.0.0/29", first: "192.0.0.0", last: "192.0.0.7", publicNeighbours: ["191.255.255.255"]),
    SpecialPurposeBlock("192.0.0.8/32", first: "192.0.0.8", last: "192.0.0.8", publicNeighbours: []),
    SpecialPurposeBlock("192.0.0.9/32", first: "192.0.0.9", last: "192.0.0.9", publicNeighbours: []),
    SpecialPurposeBlock("192.0.0.10/32", first: "192.0.0.10", last: "192.0.0.10", publicNeighbours: []),
    SpecialPurposeBlock("192.0.0.170/32", first: "192.0.0.170", last: "192.0.0.170", publicNeighbours: []),
    SpecialPurposeBlock("192.0.0.171/32", first: "192.0.0.171", last: "192.0.0.171", publicNeighbours: []),
    SpecialPurposeBlock("192.0.2.0/24", first: "192.0.2.0", last: "192.0.2.255", publicNeighbours: ["192.0.1.255", "192.0.3.0"]),
    SpecialPurposeBlock("192.31.196.0/24", first: "192.31.196.0", last: "192.31.196.255", publicNeighbours: ["192.31.195.255", "192.31.197.0"]),
    SpecialPurposeBlock("192.52.193.0/24", first: "192.52.193.0", last: "192.52.193.255", publicNeighbours: ["192.52.192.255", "192.52.194.0"]),
    SpecialPurposeBlock("192.88.99.0/24", first: "192.88.99.0", last: "192.88.99.255", publicNeighbours: ["192.88.98.255", "192.88.100.0"]),
    SpecialPurposeBlock("192.88.99.2/32", first: "192.88.99.2", last: "192.88.99.2", publicNeighbours: []),
    SpecialPurposeBlock("192.168.0.0/16", first: "192.168.0.0", last: "192.168.255.255", publicNeighbours: ["192.167.255.255", "192.169.0.0"]),
    SpecialPurposeBlock("192.175.48.0/24", first: "192.175.48.0", last: "192.175.48.255", publicNeighbours: ["192.175.47.255", "192.175.49.0"]),
    SpecialPurposeBlock("198.18.0.0/15", first: "198.18.0.0", last: "198.19.255.255", publicNeighbours: ["198.17.255.255", "198.20.0.0"]),
    SpecialPurposeBlock("198.51.100.0/24", first: "198.51.100.0", last: "198.51.100.255", publicNeighbours: ["198.51.99.255", "198.51.101.0"]),
    SpecialPurposeBlock("203.0.113.0/24", first: "203.0.113.0", last: "203.0.113.255", publicNeighbours: ["203.0.112.255", "203.0.114.0"]),
    SpecialPurposeBlock("240.0.0.0/4", first: "240.0.0.0", last: "255.255.255.255", publicNeighbours: []),
    SpecialPurposeBlock("255.255.255.255/32", first: "255.255.255.255", last: "255.255.255.255", publicNeighbours: []),
]

// Every row of https://www.iana.org/assignments/iana-ipv6-special-registry/ (updated 2025-10-09).
private let ianaIPv6Registry: [SpecialPurposeBlock] = [
    SpecialPurposeBlock("::1/128", first: "::1", last: "::1", publicNeighbours: []),
    SpecialPurposeBlock("::/128", first: "::", last: "::", publicNeighbours: []),
    SpecialPurposeBlock("::ffff:0:0/96", first: "::ffff:0:0", last: "::ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("64:ff9b::/96", first: "64:ff9b::", last: "64:ff9b::ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("64:ff9b:1::/48", first: "64:ff9b:1::", last: "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("100::/64", first: "100::", last: "100::ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("100:0:0:1::/64", first: "100:0:0:1::", last: "100::1:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock(
        "2001::/23", first: "2001::", last: "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
        publicNeighbours: ["2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:200::"]),
    SpecialPurposeBlock(
        "2001::/32", first: "2001::", last: "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: ["2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]),
    SpecialPurposeBlock("2001:1::1/128", first: "2001:1::1", last: "2001:1::1", publicNeighbours: []),
    SpecialPurposeBlock("2001:1::2/128", first: "2001:1::2", last: "2001:1::2", publicNeighbours: []),
    SpecialPurposeBlock("2001:1::3/128", first: "2001:1::3", last: "2001:1::3", publicNeighbours: []),
    SpecialPurposeBlock("2001:2::/48", first: "2001:2::", last: "2001:2:0:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("2001:3::/32", first: "2001:3::", last: "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("2001:4:112::/48", first: "2001:4:112::", last: "2001:4:112:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("2001:10::/28", first: "2001:10::", last: "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("2001:20::/28", first: "2001:20::", last: "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("2001:30::/28", first: "2001:30::", last: "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock(
        "2001:db8::/32", first: "2001:db8::", last: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
        publicNeighbours: ["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"]),
    SpecialPurposeBlock(
        "2002::/16", first: "2002::", last: "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        publicNeighbours: ["2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2003::"]),
    SpecialPurposeBlock(
        "2620:4f:8000::/48", first: "2620:4f:8000::", last: "2620:4f:8000:ffff:ffff:ffff:ffff:ffff",
        publicNeighbours: ["2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", "2620:4f:8001::"]),
    SpecialPurposeBlock(
        "3fff::/20", first: "3fff::", last: "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
        publicNeighbours: ["3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::"]),
    SpecialPurposeBlock("5f00::/16", first: "5f00::", last: "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("fc00::/7", first: "fc00::", last: "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("fe80::/10", first: "fe80::", last: "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
]

// Refused although not in those registries: multicast, deprecated IPv4-compatible IPv6 and site-local.
private let otherRefusedBlocks: [SpecialPurposeBlock] = [
    SpecialPurposeBlock("224.0.0.0/4", first: "224.0.0.0", last: "239.255.255.255", publicNeighbours: ["223.255.255.255"]),
    SpecialPurposeBlock("::/96", first: "::", last: "::ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("fec0::/10", first: "fec0::", last: "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
    SpecialPurposeBlock("ff00::/8", first: "ff00::", last: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", publicNeighbours: []),
]
