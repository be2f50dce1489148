import Testing
import WLDomain

@Suite struct PlaceholderTests {
    let jane = PlaceholderValues(firstName: "Jane", lastName: "Wanjiku", accountBalance: KES(cents: 123_400))

    @Test func knownPlaceholdersAreFilledFromTheContact() {
        let text = Placeholders.render("Hello {first_name} {last_name} ({name}), your balance is {account_balance}.", with: jane)
        #expect(text == "Hello Jane Wanjiku (Jane Wanjiku), your balance is KES 1,234.00.")
    }

    @Test func withoutAContactNoBracesAreSent() {
        let text = Placeholders.render("Hello {first_name}{last_name}, {name}: {account_balance}", with: nil)
        #expect(text == "Hello Customer, Customer: KES 0.00")
    }

    @Test func otherBracesAreText() {
        #expect(Placeholders.render("{ not one } {} {first_name", with: jane) == "{ not one } {} {first_name")
        #expect(Placeholders.unknown(in: "{ not one } {} {a-b}").isEmpty)
    }

    @Test func unknownPlaceholdersAreFoundOnce() {
        #expect(Placeholders.unknown(in: "Hi {frist_name} {frist_name} {name} {x1}") == ["frist_name", "x1"])
    }

    @Test func valuesCanBeEscaped() {
        let values = PlaceholderValues(firstName: "<b>", lastName: "", accountBalance: nil)
        #expect(Placeholders.render("<p>{first_name}</p>", with: values) { $0.replacingOccurrences(of: "<", with: "&lt;") } == "<p>&lt;b></p>")
    }

    @Test func personalisationIsDetected() {
        #expect(Placeholders.isPersonalised("Hi {name}"))
        #expect(!Placeholders.isPersonalised("Hi {there"))
    }
}
