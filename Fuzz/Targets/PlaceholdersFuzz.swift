import WLDomain

/// Message templates. Unknown `{word}` placeholders are listed once each and never include a known one; a
/// template with no known placeholder renders as itself; a personalised one renders at least one value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let template = fuzzText(data, size)
    let unknown = Placeholders.unknown(in: template)
    require(Set(unknown).count == unknown.count, "unknown placeholders repeated: \(unknown)")
    for name in unknown {
        require(!Placeholders.known.contains(name), "\(name) is known")
        require(!name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "\(name) is not a word")
    }
    require((Placeholders.unknownMessage(in: template) == nil) == unknown.isEmpty, "message and list disagree")
    let values = PlaceholderValues(firstName: "Wanjiru", lastName: "Kamau", accountBalance: KES(cents: -123_456))
    let marker: Character = "\u{E000}"
    let anonymous = Placeholders.render(template, with: nil)
    let personal = Placeholders.render(template, with: values) { "\(marker)\($0)" }
    if Placeholders.isPersonalised(template) {
        require(personal.filter { $0 == marker }.count > template.filter { $0 == marker }.count, "no value rendered")
    } else {
        require(anonymous == template && personal == template, "a template without placeholders changed")
    }
    return 0
}
