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
        let fits = column == "email" ? String(repeating: "a", count: limit - 10) + "@x.example" : String(repeating: "a", count: limit)
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
}
