import WLDomain

/// The `recipients` array of SMS and email requests, one entry per input line.
/// Every entry ends up either valid or skipped, in order, with no address or number valid twice.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let entries = fuzzText(data, size).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    checkSMS(entries)
    checkEmail(entries)
    return 0
}

private func checkSMS(_ entries: [String]) {
    let recipients: SMSRecipients
    do {
        recipients = try SMSRecipients(entries)
    } catch {
        require((error as? DomainError)?.code == .validation && entries.count > SMSRecipients.maximum, "unexpected \(error)")
        return
    }
    require(recipients.valid.count + recipients.skipped.count == entries.count, "SMS entries lost or invented")
    let valid = Set(recipients.valid)
    require(valid.count == recipients.valid.count, "a number valid twice")
    for skipped in recipients.skipped {
        switch skipped.reason {
        case .invalidNumber: require(PhoneNumber(skipped.recipient) == nil, "\(skipped.recipient) skipped as invalid")
        case .duplicate: require(PhoneNumber(skipped.recipient).map(valid.contains) == true, "\(skipped.recipient) duplicate of nothing")
        default: require(false, "SMS skip reason \(skipped.reason)")
        }
    }
}

private func checkEmail(_ entries: [String]) {
    var recipients: EmailRecipients
    do {
        recipients = try EmailRecipients(entries)
    } catch {
        require((error as? DomainError)?.code == .validation && entries.count > SMSRecipients.maximum, "unexpected \(error)")
        return
    }
    require(recipients.valid.count + recipients.skipped.count == entries.count, "email entries lost or invented")
    let keys = recipients.valid.map(\.comparisonKey)
    require(Set(keys).count == keys.count, "an address valid twice")
    for address in recipients.valid {
        require(EmailAddress(address.value) == address, "\(address) does not read back as itself")
        require(address.value.utf8.count <= 254 && address.value.utf8.filter { $0 == UInt8(ascii: "@") }.count == 1, "\(address)")
        require(address.domain == address.domain.lowercased() && !address.domain.isEmpty, "domain of \(address)")
    }
    let suppressed = Set(keys.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
    let before = recipients.valid.count + recipients.skipped.count
    recipients.suppress(suppressed)
    require(recipients.valid.count + recipients.skipped.count == before, "suppression lost or invented entries")
    require(recipients.valid.allSatisfy { !suppressed.contains($0.comparisonKey) }, "a suppressed address stayed valid")
}
