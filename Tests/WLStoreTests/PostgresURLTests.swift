import NIOSSL
import Testing
import WLPorts

@testable import WLStore

/// `sslmode` and `sslrootcert` in a PostgreSQL URL mean what they mean to libpq.
@Suite struct PostgresURLTests {
    func choice(_ query: String) throws -> TLSChoice {
        try ConnectionParts(url: "postgres://wl:secret@db.internal:5433/wlcomm" + query).tls
    }

    @Test func withoutSSLModeThereIsNoTLS() throws {
        #expect(try choice("").mode == .disable)
    }

    @Test(arguments: [
        ("?sslmode=disable", TLSChoice.Mode.disable, CertificateVerification.none),
        ("?sslmode=allow", .prefer, .none),
        ("?sslmode=prefer", .prefer, .none),
        ("?sslmode=require", .require, .none),
        ("?sslmode=verify-ca", .require, .noHostnameVerification),
        ("?sslmode=verify-full", .require, .fullVerification),
        ("?sslmode=require&sslrootcert=/etc/wlcomm/ca.pem", .require, .noHostnameVerification),
    ])
    func eachModeChecksWhatLibpqChecks(query: String, mode: TLSChoice.Mode, verification: CertificateVerification) throws {
        let tls = try choice(query)
        #expect(tls.mode == mode)
        #expect(tls.verification == verification)
        #expect(tls.configuration.certificateVerification == verification)
    }

    @Test func aRootCertificateReplacesTheSystemRoots() throws {
        let tls = try choice("?sslmode=verify-full&sslrootcert=/etc/wlcomm/ca.pem")
        #expect(tls.rootCertificate == "/etc/wlcomm/ca.pem")
        #expect(tls.configuration.trustRoots == .file("/etc/wlcomm/ca.pem"))
    }

    @Test func anUnknownModeIsRefusedNotWeakened() throws {
        let error = #expect(throws: StoreError.self) { try choice("?sslmode=verify_full") }
        #expect("\(String(describing: error))".contains("verify-full"))
    }

    @Test func theRestOfTheURLIsRead() throws {
        let parts = try ConnectionParts(url: "postgresql://wl:secret@db.internal:5433/wlcomm?sslmode=verify-full")
        #expect(parts.host == "db.internal")
        #expect(parts.port == 5433)
        #expect(parts.username == "wl")
        #expect(parts.password == "secret")
        #expect(parts.database == "wlcomm")
    }
}
