import Foundation

/// An email address as we accept it: a dot-atom local part (RFC 5322, at most 64 characters), `@`, and a domain of
/// letter-digit-hyphen labels with at least one dot (RFC 5321), 254 characters in all. The domain is lower-cased;
/// quoted local parts, IP literals and non-ASCII addresses are refused.
public struct EmailAddress: Hashable, Sendable, CustomStringConvertible {
    /// `local@domain`, the domain lower-cased.
    public let value: String

    /// Checks and normalises `raw` (surrounding spaces are ignored), or returns `nil`.
    public init?(_ raw: String) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard text.count <= 254, text.unicodeScalars.allSatisfy(\.isASCII), let at = text.lastIndex(of: "@") else { return nil }
        let local = text[..<at]
        let domain = text[text.index(after: at)...].lowercased()
        guard Self.isDotAtom(local), local.count <= 64, Self.isDomain(domain) else { return nil }
        value = local + "@" + domain
    }

    /// The part after `@`.
    public var domain: String { String(value[value.index(after: value.lastIndex(of: "@")!)...]) }

    /// The address compared without regard to case, for finding duplicates.
    public var comparisonKey: String { value.lowercased() }

    public var description: String { value }

    /// RFC 5322 atext, dots between runs.
    static func isDotAtom(_ text: Substring) -> Bool {
        let special = Set("!#$%&'*+/=?^_`{|}~-")
        let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
        return !text.isEmpty
            && atoms.allSatisfy { atom in !atom.isEmpty && atom.allSatisfy { $0.isLetter || $0.isNumber || special.contains($0) } }
    }

    /// LDH labels of 1–63 characters, not starting or ending with a hyphen; at least two; a top-level label that is
    /// not all digits.
    static func isDomain(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let top = labels.last, !top.allSatisfy(\.isNumber) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "-") && $0.isASCII }
        }
    }
}

/// The recipients of an email request: checked, normalised and de-duplicated, with every refused entry and why.
public struct EmailRecipients: Sendable {
    public var valid: [EmailAddress]
    public var skipped: [SkippedRecipient]

    /// Checks `raw` in order; a later copy of an address (ignoring case) is `duplicate`.
    /// - Throws: `.validation` for an empty list or more than ``maximum`` entries.
    public init(_ raw: [String]) throws {
        try SMSRecipients.checkCount(raw)
        var seen: Set<String> = []
        valid = []
        skipped = []
        for entry in raw {
            guard let address = EmailAddress(entry) else {
                skipped.append(SkippedRecipient(recipient: entry, reason: .invalidEmail))
                continue
            }
            if seen.insert(address.comparisonKey).inserted {
                valid.append(address)
            } else {
                skipped.append(SkippedRecipient(recipient: entry, reason: .duplicate))
            }
        }
    }

    /// Moves every address in `suppressed` (lower-cased addresses) from `valid` to `skipped`.
    public mutating func suppress(_ suppressed: Set<String>) {
        guard !suppressed.isEmpty else { return }
        let (kept, dropped) = (valid.filter { !suppressed.contains($0.comparisonKey) }, valid.filter { suppressed.contains($0.comparisonKey) })
        valid = kept
        skipped += dropped.map { SkippedRecipient(recipient: $0.value, reason: .suppressed) }
    }
}
