import Testing

/// The one conformance suite, run unchanged against both engines. Without `WLCOMM_TEST_POSTGRES_URL` the
/// PostgreSQL half is reported as skipped, never as passed.
@Suite struct StoreConformanceTests {
    @Test(arguments: ConformanceCheck.all)
    func sqlite(_ check: ConformanceCheck) async throws {
        try await TestDatabases.withStore(.sqlite, check.body)
    }

    @Test(
        .enabled(if: TestDatabases.postgresURL != nil, "no PostgreSQL: set WLCOMM_TEST_POSTGRES_URL (scripts/test.sh starts one)"),
        arguments: ConformanceCheck.all)
    func postgres(_ check: ConformanceCheck) async throws {
        try await TestDatabases.withStore(.postgres, check.body)
    }
}
