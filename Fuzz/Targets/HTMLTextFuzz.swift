import WLDomain

/// HTML email bodies, rendered as the text part with `HTMLText.text(fromHTML:)`.
/// The text is trimmed. With no entity (which may spell `<`) and no link (whose URL is copied out of an attribute)
/// in the input, every `<` in the text is one that could start no tag in the input (not followed by a letter, `/` and a
/// letter, `!` or `?`, or with no `>` after it), and blank lines come one at a time.
/// Escaped text holds no markup character.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let html = fuzzText(data, size)
    let text = HTMLText.text(fromHTML: html)
    require(text == text.trimmingCharacters(in: .whitespacesAndNewlines), "text not trimmed")
    if !html.contains("&") && !html.lowercased().contains("href") {
        let scalars = Array(html.unicodeScalars)
        let lastClose = scalars.lastIndex(of: ">") ?? -1
        let plainOpenings = scalars.indices.filter { index in
            scalars[index] == "<" && !(index + 1 < lastClose && startsTag(scalars[(index + 1)...]))
        }.count
        require(text.unicodeScalars.filter { $0 == "<" }.count <= plainOpenings, "a tag's < left in the text: \(text.debugDescription)")
        require(!text.contains("\n\n\n"), "blank lines not collapsed: \(text.debugDescription)")
    }
    let escaped = HTMLText.escape(html)
    require(!escaped.contains { "<>\"'".contains($0) }, "markup left after escaping")
    return 0
}

/// Whether a `<` followed by `next` opens a tag, an end tag, a comment or a declaration, as HTML's tokenizer reads it:
/// a letter, `/` and a letter, `!` or `?`.
private func startsTag(_ next: ArraySlice<Unicode.Scalar>) -> Bool {
    func isLetter(_ scalar: Unicode.Scalar?) -> Bool { scalar.map { $0.isASCII && $0.properties.isAlphabetic } ?? false }
    guard let first = next.first else { return false }
    return isLetter(first) || (first == "/" && isLetter(next.dropFirst().first)) || first == "!" || first == "?"
}
