import PropertyBased
import Testing
import WLDomain

/// The time limit catches a quadratic `render` coming back: the long texts below then take hours.
@Suite(.timeLimit(.minutes(1))) struct PlaceholderTests {
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

    /// What random templates are made of: braces, name characters and others, known and given names, a name of the
    /// longest length given and one longer, and a combining mark (which joins a brace into another character).
    static let pieces = [
        "{", "}", "{", "}", "a", "b", "_", "7", " ", "-", "é", "\u{301}", "first_name", "name", "account_balance", "ab",
        String(repeating: "a", count: 40), String(repeating: "a", count: 41),
    ]
    static let templates = Gen.element(of: pieces).map { $0! }.array(of: 0...30).map { $0.joined() }
    /// Names recipients give values for; their values have braces, which are not filled in again.
    static let givenNames = Gen.element(of: ["a", "ab", "b_7", "first_name", String(repeating: "a", count: 40)]).map { $0! }.array(of: 0...3)

    @Test func renderFillsAnyTextAsTheSearchToTheEndDid() async {
        let contact = jane
        await propertyCheck(count: 500, input: Self.templates, Self.givenNames, Gen.bool) { template, names, hasContact in
            let variables = Dictionary(names.map { ($0, "{\($0)}") }) { first, _ in first }
            let values = hasContact ? contact : nil
            let escape: (String) -> String = { "[\($0)]" }
            #expect(
                Placeholders.render(template, with: values, variables: variables, escape: escape)
                    == Self.searchingRender(template, with: values, variables: variables, escape: escape))
        }
    }

    @Test func longRunsOfBracesRenderInLinearTime() {
        let braces = String(repeating: "{", count: 100_000)
        #expect(Placeholders.render(braces + "{name}", with: jane) == braces + "Jane Wanjiku")
        let body = String(repeating: "{", count: 200_000)
        #expect(Placeholders.render(body, with: jane, variables: ["invoice": "INV-42"]) == body)
        let unclosed = "{" + String(repeating: "a", count: 39)
        let names = String(repeating: unclosed, count: 5_000) + "}"
        let given = [String(repeating: "a", count: 39): "x"]
        #expect(Placeholders.render(names, with: nil, variables: given) == String(repeating: unclosed, count: 4_999) + "x")
    }

    @Test func atMostFiftyDifferentPlaceholdersMayBeUsed() {
        let names = (1...51).map { "v\($0)" }
        let given = ["254712345678": Dictionary(uniqueKeysWithValues: names.map { ($0, "x") })]
        let fifty = names.prefix(50).map { "{\($0)}" }.joined(separator: " ") + " {v1} {v50}"
        #expect(Placeholders.tooManyMessage(in: fifty) == nil)
        #expect(Placeholders.validationErrors(in: [("message", fifty)], order: ["254712345678"], variables: given).isEmpty)
        let tooMany = ["message": ["At most 50 different placeholders; this one has 51."]]
        #expect(Placeholders.validationErrors(in: [("message", fifty + " {v51}")], order: ["254712345678"], variables: given) == tooMany)
        // Known names count too.
        let withKnown = names.prefix(47).map { "{\($0)}" }.joined() + "{first_name}{last_name}{name}{account_balance}"
        #expect(Placeholders.tooManyMessage(in: withKnown) == "At most 50 different placeholders; this one has 51.")
    }

    @Test func recipientsLackingValuesAreNamedOnceForSubjectAndMessageThenCounted() {
        let order = (1...25).map { "r\($0)" }
        let variables = ["r1": ["invoice": "INV-1", "due": "Monday"], "r2": ["invoice": "INV-2"]]
        let errors = Placeholders.validationErrors(
            in: [("subject", "Invoice {invoice}"), ("message", "{invoice} is due {due}")], order: order, variables: variables)
        #expect(errors["subject"]?.first?.hasPrefix("Unknown placeholder {invoice};") == true)
        #expect(errors["message"]?.first?.hasSuffix("Or give each recipient a value in its \"variables\".") == true)
        let named = ["r2 has no value for {due}."] + (3...21).map { "r\($0) has no value for {invoice}, {due}." }
        #expect(errors["recipients"] == named + ["…and 4 more recipients."])
    }

    @Test func withoutVariablesOnlyTheMessageIsRefusedHoweverManyRecipients() {
        let order = (1...10_000).map { "r\($0)" }
        let errors = Placeholders.validationErrors(in: [("message", "Hi {invoice}")], order: order, variables: [:])
        #expect(errors == ["message": [Placeholders.unknownMessage(in: "{invoice}")!]])
        let missing = Placeholders.missing(in: ["{a} {b}"], order: order, variables: ["r1": ["a": "1", "b": "2"]])
        #expect(missing.count == 9_999 && missing.listed.count == 20)
        #expect(missing.messages.last == "…and 9979 more recipients.")
    }

    /// `render` as it was: for each `{`, the text up to the first `}` after it, however far, is looked up.
    static func searchingRender(
        _ template: String, with values: PlaceholderValues?, variables: [String: String], escape: (String) -> String
    ) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            output += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"),
                let value = variables[String(rest[afterOpen..<close])] ?? knownValue(of: String(rest[afterOpen..<close]), values)
            {
                output += escape(value)
                rest = rest[rest.index(after: close)...]
            } else {
                output.append("{")
                rest = rest[afterOpen...]
            }
        }
        return output + rest
    }

    static func knownValue(of name: String, _ values: PlaceholderValues?) -> String? {
        switch name {
        case "first_name": values.map(\.firstName) ?? "Customer"
        case "last_name": values.map(\.lastName) ?? ""
        case "name": values.map { [$0.firstName, $0.lastName].filter { !$0.isEmpty }.joined(separator: " ") } ?? "Customer"
        case "account_balance": (values?.accountBalance ?? KES(cents: 0)).display
        default: nil
        }
    }
}
