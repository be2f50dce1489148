import WLDomain

/// SMS bodies, measured for encoding and segments (one credit each).
/// GSM-7 costs one or two septets a character, UCS-2 one unit per UTF-16 code unit, and the segment count is the
/// documented one: 160 in one or up to 153 per part (GSM-7), 70 in one or up to 67 per part (UCS-2), a pair never
/// split across parts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    let measured = SMSText(text)
    let (single, part) = measured.encoding == .gsm7 ? (160, 153) : (70, 67)
    switch measured.encoding {
    case .gsm7:
        require(measured.nonGSMCharacters.isEmpty, "GSM-7 with offending characters")
        require(measured.units >= text.count && measured.units <= 2 * text.count, "\(measured.units) septets for \(text.count) characters")
    case .ucs2:
        require(!measured.nonGSMCharacters.isEmpty, "UCS-2 without an offending character")
        require(measured.units == text.utf16.count, "UCS-2 units \(measured.units) for \(text.utf16.count) code units")
        require(Set(measured.nonGSMCharacters).count == measured.nonGSMCharacters.count, "offending characters repeated")
        for character in measured.nonGSMCharacters.prefix(8) {
            require(text.contains(character) && SMSText(String(character)).encoding == .ucs2, "\(character) is not offending")
        }
    }
    // A part never splits an escape pair or a surrogate pair, so it may hold one unit less than `part`.
    let fewest = measured.units <= single ? 1 : (measured.units + part - 1) / part
    let most = measured.units <= single ? 1 : (measured.units + part - 2) / (part - 1)
    require(measured.segments >= fewest && measured.segments <= most, "\(measured.segments) segments for \(measured.units) units")
    require(measured.credits == Credits(whole: Int64(measured.segments)), "credits differ from segments")
    return 0
}
