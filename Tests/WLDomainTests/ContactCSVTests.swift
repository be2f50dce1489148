import Testing
import WLDomain

@Suite struct ContactCSVTests {
    @Test func readsQuotedFieldsAndNormalises() throws {
        let csv = #"""
            first_name,last_name,phone,email,account_balance,kind
            Jane,"Wanjiku, Jr",0712345678,JANE@Example.com,"1,234.50",client
            "Otieno ""Oti""",Odhiambo,,oti@example.com,,
            """#
        let result = try ContactCSV.parse(csv)
        #expect(result.errors.isEmpty)
        #expect(result.contacts.map(\.line) == [2, 3])
        let jane = result.contacts[0].contact
        #expect(jane.lastName == "Wanjiku, Jr")
        #expect(jane.phone?.e164Digits == "254712345678")
        #expect(jane.email == "jane@example.com")
        #expect(jane.accountBalance == KES(cents: 123_450))
        #expect(jane.kind == .client)
        let otieno = result.contacts[1].contact
        #expect(otieno.firstName == "Otieno \"Oti\"")
        #expect(otieno.kind == .addressBook)
        #expect(otieno.phone == nil)
    }

    @Test func badRowsAreReportedByLineAndKeptOutWhole() throws {
        let csv =
            "first_name,phone,account_balance,kind\r\nA,0712345678,10,client\r\nB,123,10,client\r\n,0712345679,,\r\nC,0712345670,ten,\r\nD,0712345671,,boss\r\nE,0712345672\r\n"
        let result = try ContactCSV.parse(csv)
        #expect(result.contacts.map(\.line) == [2])
        #expect(result.errors.map(\.line) == [3, 4, 5, 6, 7])
    }

    @Test func newlinesInsideQuotesKeepLineNumbersRight() throws {
        let csv = "first_name,last_name,phone\n\"A\",\"two\nlines\",0712345678\nB,,bad\n"
        let result = try ContactCSV.parse(csv)
        #expect(result.contacts.first?.contact.lastName == "two\nlines")
        #expect(result.errors.map(\.line) == [4])
    }

    @Test func refusedRowsPastTheFirst100AreCountedInOneEntry() throws {
        let csv = "first_name,phone\n" + String(repeating: "x\n", count: 250) + "A,0712345678\n"
        let result = try ContactCSV.parse(csv)
        #expect(result.contacts.map(\.line) == [252])
        #expect(result.errors.count == ContactCSV.maximumReportedErrors + 1)
        #expect(result.errors.prefix(100).map(\.line) == Array(2...101))
        #expect(result.errors[0].message == "expected 2 fields, found 1")
        #expect(result.errors.last?.line == 102)
        #expect(result.errors.last?.message == "this row and 149 more refused too; only the first 100 refused rows are listed")
        let one = try ContactCSV.parse("first_name,phone\n" + String(repeating: "x\n", count: 101))
        #expect(one.errors.last?.line == 102)
        #expect(one.errors.last?.message == "this row refused too; only the first 100 refused rows are listed")
        #expect(try ContactCSV.parse("first_name,phone\n" + String(repeating: "x\n", count: 100)).errors.count == 100)
    }

    @Test func aCellWithNULOrAnotherControlCharacterRefusesItsRow() throws {
        let csv = "first_name,last_name,phone\nA\0,,0712345678\nB,x\u{1B}y,0712345679\n\"C\tD\",\"two\r\nlines\",0712345670\n"
        let result = try ContactCSV.parse(csv)
        #expect(result.errors.map(\.line) == [2, 3])
        #expect(result.errors.map(\.message) == ["first_name has a control character (U+0000)", "last_name has a control character (U+001B)"])
        #expect(result.contacts.map(\.contact.firstName) == ["C\tD"])
        #expect(result.contacts.map(\.contact.lastName) == ["two\r\nlines"])
    }

    @Test func unknownColumnsAreRefused() {
        let unknown = #expect(throws: DomainError.self) { try ContactCSV.parse("first_name,phone,age\nA,0712345678,3\n") }
        #expect(unknown?.code == .validation)
        #expect(unknown?.message.hasPrefix("Unknown column age;") == true)
        #expect(throws: DomainError(.validation, "The file is empty: it needs a header row.")) { try ContactCSV.parse("") }
    }
}

@Suite struct ContactCSVLimitTests {
    @Test(arguments: [("first_name", 100), ("last_name", 100), ("email", 254)])
    func aValueOverItsColumnsLimitIsRefusedByName(column: String, limit: Int) throws {
        let long = column == "email" ? String(repeating: "a", count: limit) + "@x.example" : String(repeating: "a", count: limit + 1)
        // The longest address there is: a 64-character local part and a 189-character domain.
        let longestAddress =
            String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 62) + "." + String(repeating: "b", count: 62) + "."
            + String(repeating: "c", count: 63)
        let fits = column == "email" ? longestAddress : String(repeating: "a", count: limit)
        let header = "first_name,last_name,email"
        let row = { (value: String) in
            ["first_name": "Jane", "last_name": "W", "email": "jane@x.example"].merging([column: value]) { $1 }
        }
        let line = { (value: String) in [row(value)["first_name"]!, row(value)["last_name"]!, row(value)["email"]!].joined(separator: ",") }
        let result = try ContactCSV.parse([header, line(long), line(fits)].joined(separator: "\n"))
        #expect(result.errors.map(\.line) == [2])
        #expect(result.errors.first?.message == "\(column) is longer than \(limit) characters")
        #expect(result.contacts.map(\.line) == [3])
    }

    @Test(arguments: ["john..doe@example.com", "a b@example.com", "x@localhost", "jöhn@example.com", "@example.com", "jane@"])
    func anAddressThePrivacyEndpointsWouldRefuseIsRefused(email: String) throws {
        let result = try ContactCSV.parse("first_name,email\nJane,\(email)")
        #expect(result.contacts.isEmpty)
        #expect(result.errors.first?.message == "email \(email) is not an address")
    }
}
