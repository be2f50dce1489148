import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WLDomain
import WLServices

/// NUL and other control characters from a CSV cell or a console form are refused as bad input, never passed to the
/// engine (PostgreSQL refuses NUL in text, which was a 500).
@Suite struct ControlCharacterTests {
    @Test(arguments: TestEngine.available)
    func aCSVCellWithNULRefusesItsRowAndImportsTheRest(engine: TestEngine) async throws {
        try await TestApp(engine: engine).with(["console.bcryptCost": 4]).test { client in
            let token = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let csv = "first_name,phone\nA\0,0712345678\nB,0712345679\n"
            try await client.execute(
                uri: ConsoleAPITests.manage + "/firm/contacts/import", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"], body: ByteBuffer(string: csv)
            ) { response in
                #expect(response.status == .ok)
                let data = try response.json().data
                #expect(data["inserted"] as? Int == 1)
                let errors = try #require(data["errors"] as? [[String: Any]])
                #expect(errors.count == 1)
                #expect(errors.first?["line"] as? Int == 2)
                #expect(errors.first?["message"] as? String == "first_name has a control character (U+0000)")
            }
        }
    }

    @Test func aCSVImportOverTheAPIsContactLimitIsRefusedWhole() async throws {
        try await TestApp().with(["console.bcryptCost": 4]).test { client in
            let token = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let rows = (0...ContactsRequest.maximum).map { "C\($0),07\(String(format: "%08d", $0))" }
            try await client.execute(
                uri: ConsoleAPITests.manage + "/firm/contacts/import", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"],
                body: ByteBuffer(string: "first_name,phone\n" + rows.joined(separator: "\n"))
            ) { response in
                #expect(response.status == .unprocessableContent && response.errorCode == "validation_failed")
                let message = try response.json()["message"] as? String
                #expect(message?.hasPrefix("At most 10000 contacts per import; this file has 10001. Split it") == true)
            }
        }
    }

    @Test func aCSVImportOverHTTPIsOneTransaction() async throws {
        let app = TestApp().with(["console.bcryptCost": 4])
        try await app.test { client in
            let token = try await client.signIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let before = try await app.admin { admin, store in
                // The database fails on the 701st row, past the 500 that were once a transaction of their own.
                _ = try await store.database.transaction { connection in
                    try await connection.query(
                        "CREATE TRIGGER refuse_late BEFORE INSERT ON contacts WHEN NEW.first_name = 'C700' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
                        [])
                }
                return try await store.contacts(firmID: admin.firm("sandbox").id).count
            }
            let rows = (0..<1_000).map { "C\($0),07\(String(format: "%08d", $0))" }
            try await client.execute(
                uri: ConsoleAPITests.manage + "/firm/contacts/import", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"],
                body: ByteBuffer(string: "first_name,phone\n" + rows.joined(separator: "\n"))
            ) { response in
                #expect(response.status == .internalServerError && response.errorCode == "internal_error")
            }
            let after = try await app.admin { admin, store in try await store.contacts(firmID: admin.firm("sandbox").id).count }
            #expect(after == before, "nothing of the failed file was kept")
        }
    }

    @Test(arguments: TestEngine.available)
    func aFormFieldWithPercent00Is422NotAnEngineError(engine: TestEngine) async throws {
        try await TestApp(engine: engine).with(["console.bcryptCost": 4]).test { client in
            let message = "The form may not contain control characters such as NUL (%00); tabs and line breaks are fine."
            // Before any session: the sign-in form looks the address up.
            try await client.execute(
                uri: "/console/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "email=a%00b%40example.com&password=x&_csrf=t")
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(message))
            }
            let cookie = try await client.pageSignIn(ConsoleAccounts.sandboxEmail, ConsoleAccounts.sandboxPassword)
            let page = try await client.execute(uri: "/console/contacts", method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
            let marker = #"name="_csrf" value=""#
            let start = try #require(page.range(of: marker)).upperBound
            let csrf = String(page[start...].prefix { $0 != "\"" })
            let form = FormEncoding.encode([("csv", "first_name,phone\nA\0,0712345678\n"), ("_csrf", csrf)])
            #expect(form.contains("A%00"))
            try await client.execute(
                uri: "/console/contacts/import", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: form)
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(message))
            }
        }
    }
}
