import WLDomain

/// Uploaded contacts files. Parsing throws only `.validation`; each data row is reported at most once, as a contact
/// with a first name and a phone or an email, or as an error (past the first 100 refused rows, one entry counts the
/// rest); the header is never a row.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let result: ContactCSV.Result
    do {
        result = try ContactCSV.parse(fuzzText(data, size))
    } catch {
        require((error as? DomainError)?.code == .validation, "unexpected \(error)")
        return 0
    }
    let lines = result.contacts.map(\.line) + result.errors.map(\.line)
    require(Set(lines).count == lines.count, "a line reported twice: \(lines)")
    require(lines.allSatisfy { $0 >= 2 && $0 <= size + 1 }, "line numbers out of the file: \(lines)")
    for (line, contact) in result.contacts {
        require(!contact.firstName.isEmpty, "line \(line) kept without a first name")
        require(contact.phone != nil || contact.email != nil, "line \(line) kept without a phone or an email")
        require(contact.email.map { $0 == $0.lowercased() } ?? true, "line \(line) email not lower-cased")
    }
    return 0
}
