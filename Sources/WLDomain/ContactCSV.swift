import Foundation

/// Parses a contacts CSV file (RFC 4180: commas, double-quoted fields, `""` for a quote inside quotes).
///
/// The header row names the columns, in any order: `first_name`, `last_name`, `phone`, `email`,
/// `account_balance`, `kind` (`client` or `address_book`; default `address_book`). A row needs a first name and a
/// phone or an email. A bad row is reported by its line number and kept out whole; past
/// ``maximumReportedErrors`` refused rows, one last entry counts the rest.
public enum ContactCSV {
    /// A row that could not be read, by its 1-based line number.
    public struct RowError: Hashable, Sendable {
        public var line: Int
        public var message: String
    }

    /// The contacts read (with their line numbers) and the rows refused: the first ``maximumReportedErrors`` by
    /// line, then (when more were refused) one entry on the next refused line that counts it and every later one.
    public struct Result: Sendable {
        public var contacts: [(line: Int, contact: Contact)]
        public var errors: [RowError]
    }

    /// The columns a file may have.
    public static let columns = ["first_name", "last_name", "phone", "email", "account_balance", "kind"]
    /// The longest value, in characters, each column may hold (a placeholder never renders longer than this).
    public static let maximumLengths = ["first_name": 100, "last_name": 100, "phone": 20, "email": 254, "account_balance": 24, "kind": 12]
    /// The most refused rows reported one by one; a file of a million bad lines is answered with these and a count.
    public static let maximumReportedErrors = 100

    /// Parses `text`.
    /// - Throws: ``DomainError`` `.validation` when the header is missing or names an unknown column.
    public static func parse(_ text: String) throws -> Result {
        let records = split(text)
        guard let (_, header) = records.first else {
            throw DomainError(.validation, "The file is empty: it needs a header row.")
        }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let unknown = names.first(where: { !columns.contains($0) }) {
            throw DomainError(.validation, "Unknown column \(unknown); the columns are \(columns.joined(separator: ", ")).")
        }
        guard names.contains("first_name"), names.contains("phone") || names.contains("email") else {
            throw DomainError(.validation, "The header needs first_name and phone or email.")
        }
        var result = Result(contacts: [], errors: [])
        var unreported: (line: Int, count: Int)?
        func refuse(_ line: Int, _ message: @autoclosure () -> String) {
            if result.errors.count < maximumReportedErrors {
                result.errors.append(RowError(line: line, message: message()))
            } else {
                unreported = (unreported?.line ?? line, (unreported?.count ?? 0) + 1)
            }
        }
        for (line, fields) in records.dropFirst() where !(fields.count == 1 && fields[0].isEmpty) {
            guard fields.count == names.count else {
                refuse(line, "expected \(names.count) fields, found \(fields.count)")
                continue
            }
            var row: [String: String] = [:]
            for (name, value) in zip(names, fields) { row[name] = value.trimmingCharacters(in: .whitespaces) }
            switch contact(from: row) {
            case .success(let contact): result.contacts.append((line, contact))
            case .failure(let error): refuse(line, error.message)
            }
        }
        if let unreported {
            let rows = unreported.count == 1 ? "this row" : "this row and \(unreported.count - 1) more"
            result.errors.append(
                RowError(line: unreported.line, message: "\(rows) refused too; only the first \(maximumReportedErrors) refused rows are listed"))
        }
        return result
    }

    private static func contact(from row: [String: String]) -> Swift.Result<Contact, DomainError> {
        func fail(_ message: String) -> Swift.Result<Contact, DomainError> { .failure(DomainError(.validation, message)) }
        // PostgreSQL refuses NUL in text (a 500 at the insert); no other control character belongs in a name,
        // number or address either. Tab and line breaks may stand in a quoted value.
        for column in columns {
            if let value = row[column], let control = value.unicodeScalars.first(where: isRefusedControl) {
                return fail("\(column) has a control character (\(String(format: "U+%04X", control.value)))")
            }
        }
        for column in columns {
            if let value = row[column], let limit = maximumLengths[column], value.unicodeScalars.count > limit {
                return fail("\(column) is longer than \(limit) characters")
            }
        }
        let firstName = row["first_name"] ?? ""
        guard !firstName.isEmpty else { return fail("first_name is empty") }
        let rawPhone = row["phone"] ?? ""
        let phone = PhoneNumber(rawPhone)
        if !rawPhone.isEmpty && phone == nil { return fail("phone \(rawPhone) is not a Kenyan mobile number") }
        // Checked as PUT /contacts checks it: an address the privacy export and erasure accept, so none is kept that
        // they would refuse.
        let rawEmail = row["email"] ?? ""
        let email = rawEmail.isEmpty ? "" : EmailAddress(rawEmail)?.comparisonKey ?? ""
        if !rawEmail.isEmpty && email.isEmpty { return fail("email \(rawEmail) is not an address") }
        guard phone != nil || !email.isEmpty else { return fail("a contact needs a phone or an email") }
        let rawBalance = (row["account_balance"] ?? "").replacingOccurrences(of: ",", with: "")
        let balance = KES(rawBalance)
        if !rawBalance.isEmpty && balance == nil { return fail("account_balance \(rawBalance) is not an amount in KES") }
        let rawKind = row["kind"] ?? ""
        guard let kind = rawKind.isEmpty ? .addressBook : ContactKind(rawValue: rawKind.lowercased()) else {
            return fail("kind \(rawKind) is neither client nor address_book")
        }
        return .success(
            Contact(
                kind: kind, firstName: firstName, lastName: row["last_name"] ?? "", phone: phone,
                email: email.isEmpty ? nil : email, accountBalance: balance))
    }

    /// A C0 control character other than tab, line feed and carriage return.
    static func isRefusedControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r"
    }

    /// Splits CSV text into records with the line each starts on. Quoted fields may hold commas and newlines.
    static func split(_ text: String) -> [(line: Int, fields: [String])] {
        var records: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if character == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.append("\"")
                    } else {
                        inQuotes = false
                        pending = next
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: inQuotes = true
            case ",":
                fields.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                fields.append(field)
                records.append((recordLine, fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default: field.append(character)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((recordLine, fields))
        }
        return records
    }
}
