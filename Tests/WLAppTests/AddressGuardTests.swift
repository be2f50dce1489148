import Foundation
import Testing
import WLDomain
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

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "196.201.214.200", "2001:4860:4860::8888", "2c0f:fe38::1"])
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
            await #expect(throws: DomainError.self) { try await guarded.setWebhook(firm: "sandbox", url: url, secret: nil) }
            let open = FirmAdmin(store: store, time: SystemTimeSource(), allowPrivateWebhooks: true)
            try await open.setWebhook(firm: "sandbox", url: url, secret: nil)
        }
    }

    @Test func theTransportRefusesAPrivateAddressBeforeConnecting() async throws {
        let transport = HTTPWebhookTransport()
        await #expect(throws: WebhookAddressError.self) {
            try await transport.post(url: "http://127.0.0.1:9/hook", headers: [], body: [])
        }
        await #expect(throws: WebhookAddressError.self) {
            try await transport.post(url: "http://[::ffff:192.168.0.1]:9/hook", headers: [], body: [])
        }
    }
}
