import Configuration
import Testing
import WLApp
import WLPorts
import WLServices

@Suite struct TrustedProxiesTests {
    let proxies = try! TrustedProxies(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])

    @Test func withoutTrustedProxiesTheHeaderIsIgnored() {
        #expect(TrustedProxies.none.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"]) == "127.0.0.1")
    }

    @Test func aPeerThatIsNoTrustedProxySpeaksForItself() {
        #expect(proxies.client(peer: "198.51.100.7", forwardedFor: ["203.0.113.9"]) == "198.51.100.7")
    }

    @Test func theClientIsTheRightmostHopThatIsNoTrustedProxy() {
        // The client wrote "1.2.3.4" itself; the edge proxy appended what it saw, then the inner one the edge proxy.
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["1.2.3.4, 203.0.113.9", "10.1.2.3"]) == "203.0.113.9")
        #expect(proxies.client(peer: "fd00::1", forwardedFor: ["2001:db8::5"]) == "2001:db8::5")
    }

    @Test func whenEveryHopIsTrustedTheLeftmostIsTheClient() {
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["10.9.9.9, 10.1.1.1"]) == "10.9.9.9")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
    }

    @Test func aHopThatIsNoAddressEndsTheWalkAtTheLastTrustedOne() {
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["<script>, 10.1.2.3"]) == "10.1.2.3")
    }

    @Test func blocksMatchByPrefix() throws {
        let block = try #require(IPBlock("192.168.4.0/22"))
        #expect(block.contains(try #require(IPBlock.bytes(of: "192.168.7.255"))))
        #expect(!block.contains(try #require(IPBlock.bytes(of: "192.168.8.0"))))
        #expect(!block.contains(try #require(IPBlock.bytes(of: "::ffff:192.168.4.1"))))
        #expect(IPBlock("10.0.0.0/33") == nil)
        #expect(IPBlock("proxy.example") == nil)
    }

    @Test func aBadEntryStopsStartUpNamingIt() async throws {
        let reader = try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_TRUSTED_PROXIES": "127.0.0.1, lb.internal"], configFile: nil)
        let error = #expect(throws: StartupError.self) { _ = try AppSettings(reader: reader).trustedProxies() }
        #expect(error?.description.contains("\"lb.internal\"") == true)
        let good = try await ConfigReader.wlcomm(flags: [:], environment: ["WLCOMM_TRUSTED_PROXIES": " 127.0.0.1 , ::1 "], configFile: nil)
        #expect(try AppSettings(reader: good).trustedProxies().contains("::1"))
    }
}
