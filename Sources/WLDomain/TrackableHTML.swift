/// An HTML body split once where tracking changes it: the `http`/`https` `href` values of its tags and the place of
/// the open pixel (before the last `</body>`, else at the end). Rendering it for a message only joins the pieces with
/// that message's tokens, so a blast's body is parsed once however many recipients it has.
public struct TrackableHTML: Sendable {
    enum Piece: Sendable {
        case literal(String)
        /// A link to track, its URL with entities decoded.
        case link(String)
        case pixel
    }

    let pieces: [Piece]

    /// The most links of one body that are tracked; those after them are sent as they are. Each tracked link is
    /// signed for every recipient and its token carries the URL, so without a bound a body of thousands of links made
    /// a blast cost millions of signatures and grow every email several-fold.
    public static let maximumTrackedLinks = 200
    /// A link whose URL is longer than this, in bytes, is sent as it is, not tracked.
    public static let maximumTrackedURLBytes = 2_048

    /// Parses `html` in one pass (linear in its length).
    public init(_ html: String) {
        var scanner = HTMLScanner(html)
        var cuts: [(range: Range<Int>, piece: Piece)] = []
        var bodyEnd: Int?
        while let token = scanner.next() {
            guard case .tag(let tag) = token else { continue }
            if tag.isClosing {
                if tag.name == "body" { bodyEnd = tag.range.lowerBound }
            } else if let href = scanner.attribute("href", of: tag) {
                let url = HTMLText.decodeEntities(href.value.trimmingWhitespace())
                let scheme = url.prefix(8).lowercased()
                if scheme.hasPrefix("http://") || scheme.hasPrefix("https://"), cuts.count < Self.maximumTrackedLinks,
                    url.utf8.count <= Self.maximumTrackedURLBytes
                {
                    cuts.append((href.range, .link(url)))
                }
            }
        }
        let pixelAt = bodyEnd ?? scanner.bytes.count
        cuts.insert((pixelAt..<pixelAt, .pixel), at: cuts.firstIndex { $0.range.lowerBound >= pixelAt } ?? cuts.endIndex)
        var pieces: [Piece] = []
        var done = 0
        for cut in cuts {
            pieces.append(.literal(String(decoding: scanner.bytes[done..<cut.range.lowerBound], as: UTF8.self)))
            pieces.append(cut.piece)
            done = cut.range.upperBound
        }
        pieces.append(.literal(String(decoding: scanner.bytes[done...], as: UTF8.self)))
        self.pieces = pieces
    }

    /// The body for one message: every link through `/t/c/{token}` and the open pixel `/t/o/{token}.gif` on `baseURL`.
    public func render(messageID: Int64, signer: TrackingSigner, baseURL: String) -> String {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .link(let url): out += "\(base)/t/c/\(signer.token(for: .click(messageID: messageID, url: url)))"
            case .pixel:
                out += "<img src=\"\(base)/t/o/\(signer.token(for: .open(messageID: messageID))).gif\" width=\"1\" height=\"1\" alt=\"\" "
                out += "style=\"display:none\">"
            }
        }
        return out
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
