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
        #expect(throws: DomainError.self) { try ContactCSV.parse("first_name,phone,age\nA,0712345678,3\n") }
        #expect(throws: DomainError.self) { try ContactCSV.parse("") }
    }
}
