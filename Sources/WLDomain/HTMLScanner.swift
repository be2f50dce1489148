/// A single-pass HTML tokenizer over UTF-8 bytes, linear in the input whatever its shape.
///
/// It knows just enough HTML for email: text, tags with attributes, comments, and the raw-text elements `script` and
/// `style` (and `head`, whose content is not shown), whose content runs to their end tag. Every search for a closing
/// `>`, `-->` or end tag remembers where it failed, so an input full of unclosed tags or comments costs one scan, not
/// one scan per tag. A `<` that cannot start a tag, or that has no `>` after it, is text.
struct HTMLScanner: IteratorProtocol {
    /// A tag, by byte offsets into the input.
    struct Tag {
        /// From `<` to just after `>`.
        var range: Range<Int>
        /// The lower-cased name.
        var name: String
        var isClosing: Bool
        /// The bytes between the name and `>`.
        var attributes: Range<Int>
    }

    enum Token {
        case text(Range<Int>)
        case tag(Tag)
        /// A comment, doctype or processing instruction: nothing to show.
        case markup(Range<Int>)
    }

    let bytes: [UInt8]
    /// `bytes` with ASCII letters lower-cased, for case-insensitive searches.
    private let lower: [UInt8]
    private(set) var position = 0
    /// Searches already made: where a needle was looked for from, and where it was found (`nil`: not at all).
    private var searches: [[UInt8]: (from: Int, found: Int?)] = [:]

    init(_ html: String) {
        bytes = Array(html.utf8)
        lower = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }

    mutating func next() -> Token? {
        guard position < bytes.count else { return nil }
        let start = position
        if bytes[start] == UInt8(ascii: "<"), let token = markup(at: start) { return token }
        var end = start + 1
        while end < bytes.count, !(bytes[end] == UInt8(ascii: "<") && startsMarkup(at: end)) { end += 1 }
        position = end
        return .text(start..<end)
    }

    /// The value of attribute `name` of `tag`, as written (entities not decoded), with its byte range.
    func attribute(_ name: String, of tag: Tag) -> (value: String, range: Range<Int>)? {
        let wanted = Array(name.utf8)
        var index = tag.attributes.lowerBound
        let end = tag.attributes.upperBound
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C }
        while index < end {
            while index < end, isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "/") { index += 1 }
            let nameStart = index
            while index < end, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: "/") { index += 1 }
            let matches = lower[nameStart..<index].elementsEqual(wanted)
            while index < end, isSpace(bytes[index]) { index += 1 }
            guard index < end, bytes[index] == UInt8(ascii: "=") else {
                if index == nameStart { index += 1 }
                continue
            }
            index += 1
            while index < end, isSpace(bytes[index]) { index += 1 }
            let valueRange: Range<Int>
            if index < end, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                let quote = bytes[index]
                var close = index + 1
                while close < end, bytes[close] != quote { close += 1 }
                valueRange = (index + 1)..<close
                index = min(close + 1, end)
            } else {
                let valueStart = index
                while index < end, !isSpace(bytes[index]) { index += 1 }
                valueRange = valueStart..<index
            }
            if matches { return (String(decoding: bytes[valueRange], as: UTF8.self), valueRange) }
        }
        return nil
    }

    /// Whether the `<` at `index` may open a tag, an end tag or a comment (`<a`, `</a`, `<!`, `<?`).
    private func startsMarkup(at index: Int) -> Bool {
        guard index + 1 < bytes.count else { return false }
        let next = bytes[index + 1]
        if isLetter(next) || next == UInt8(ascii: "!") || next == UInt8(ascii: "?") { return true }
        return next == UInt8(ascii: "/") && index + 2 < bytes.count && isLetter(bytes[index + 2])
    }

    private func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }

    /// The markup starting at the `<` at `start`, or `nil` when it is text.
    private mutating func markup(at start: Int) -> Token? {
        guard startsMarkup(at: start) else { return nil }
        if bytes[start + 1] == UInt8(ascii: "!") && lower[start...].starts(with: Array("<!--".utf8)) {
            // An unclosed comment hides the rest, as in a browser.
            let end = find("-->", from: start + 4).map { $0 + 3 } ?? bytes.count
            position = end
            return .markup(start..<end)
        }
        guard let close = find(">", from: start + 1) else { return nil }
        position = close + 1
        if bytes[start + 1] == UInt8(ascii: "!") || bytes[start + 1] == UInt8(ascii: "?") { return .markup(start..<position) }
        let isClosing = bytes[start + 1] == UInt8(ascii: "/")
        let nameStart = isClosing ? start + 2 : start + 1
        var nameEnd = nameStart
        while nameEnd < close, isLetter(bytes[nameEnd]) || (bytes[nameEnd] >= 0x30 && bytes[nameEnd] <= 0x39) { nameEnd += 1 }
        let tag = Tag(
            range: start..<position, name: String(decoding: lower[nameStart..<nameEnd], as: UTF8.self), isClosing: isClosing,
            attributes: nameEnd..<close)
        if !isClosing, ["script", "style", "head"].contains(tag.name) { skipContent(of: tag.name) }
        return .tag(tag)
    }

    /// Moves past the content and end tag of a raw-text element. Without an end tag, `script` and `style` run to the
    /// end of the input (as in a browser); an unclosed `head` hides nothing.
    private mutating func skipContent(of name: String) {
        guard let end = find("</" + name, from: position) else {
            if name != "head" { position = bytes.count }
            return
        }
        position = find(">", from: end).map { $0 + 1 } ?? bytes.count
    }

    /// The first offset at or after `from` where `needle` (lower-case ASCII) stands, ignoring case. Remembers the
    /// answer: a later search from further on that the answer covers costs nothing.
    private mutating func find(_ needle: String, from: Int) -> Int? {
        let pattern = Array(needle.utf8)
        if let last = searches[pattern], from >= last.from {
            guard let found = last.found else { return nil }
            if found >= from { return found }
        }
        var found: Int?
        var index = from
        while index + pattern.count <= lower.count {
            if lower[index] == pattern[0] && lower[index..<(index + pattern.count)].elementsEqual(pattern) {
                found = index
                break
            }
            index += 1
        }
        searches[pattern] = (from, found)
        return found
    }
}
