import HTTPTypes
import Testing
import WLDomain
import WLHTTP
import WLPorts
import WLStore

@Suite struct ErrorMappingTests {
    @Test func anUnavailableDatabaseIs503WithRetryAfter() {
        let (status, envelope, headers) = ErrorMapping.envelope(for: DatabaseAvailability.unavailable(retryAfter: 2))
        #expect(status == .serviceUnavailable)
        #expect(envelope.code == "service_unavailable")
        #expect(headers[.retryAfter] == "2")
    }
}
