import Foundation
import WLDomain

/// Email subjects, display names and bodies as they are written into a message (`MIME.swift`).
/// The first byte picks the header field name's length; the rest is the text.
/// Nothing can break out of its header: a CR or LF only ever appears as a CRLF that folds (followed by a space).
/// Quoted-printable and encoded words decode back to the text, within their line limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let prefixLength = Int(data[0] % 24)
    let text = fuzzText(data + 1, size - 1)
    checkQuotedPrintable(text)
    checkEncodedWord(text, prefixLength: prefixLength)
    if let address = EmailAddress("billing@example.co.ke") {
        checkFolding(Mailbox(address: address, name: text).header)
    }
    return 0
}

private func checkQuotedPrintable(_ text: String) {
    let encoded = QuotedPrintable.encode(text)
    for line in encoded.components(separatedBy: "\r\n") {
        let bytes = Array(line.utf8)
        require(bytes.count <= 76, "quoted-printable line of \(bytes.count) bytes")
        require(bytes.allSatisfy { (33...126).contains($0) || $0 == 32 || $0 == 9 }, "raw byte in quoted-printable")
        require(bytes.last != 32 && bytes.last != 9, "quoted-printable line ends in white space")
    }
    require(decodeQuotedPrintable(encoded) == crlfLines(text), "quoted-printable does not decode back")
}

/// `text`'s bytes with every CR LF, lone CR and lone LF as CR LF: the line breaks quoted-printable keeps.
private func crlfLines(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var previousCR = false
    for byte in text.utf8 {
        if byte == 10 && previousCR {
            previousCR = false
            continue
        }
        previousCR = byte == 13
        out += byte == 10 || byte == 13 ? [13, 10] : [byte]
    }
    return out
}

private func decodeQuotedPrintable(_ encoded: String) -> [UInt8] {
    var out: [UInt8] = []
    let bytes = Array(encoded.utf8)
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "="), index + 2 < bytes.count, bytes[index + 1] == 13, bytes[index + 2] == 10 {
            index += 3
        } else if bytes[index] == UInt8(ascii: "="), index + 2 < bytes.count,
            let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
        {
            out.append(value)
            index += 3
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    return out
}

private func checkEncodedWord(_ text: String, prefixLength: Int) {
    let encoded = EncodedWord.encode(text, prefixLength: prefixLength)
    checkFolding(encoded)
    let lines = encoded.components(separatedBy: "\r\n")
    for (index, line) in lines.enumerated() {
        require((index == 0 ? prefixLength : 0) + line.utf8.count <= 78, "header line \(index) of \(line.utf8.count) bytes")
    }
    if encoded.replacingOccurrences(of: "\r\n", with: "") == text { return }
    var decoded: [UInt8] = []
    for (index, line) in lines.enumerated() {
        let word = index == 0 ? Substring(line) : line.dropFirst()
        require(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.utf8.count <= 75, "not an encoded word: \(word)")
        let base64 = String(word.dropFirst(10).dropLast(2))
        guard let bytes = Data(base64Encoded: base64) else { return require(false, "bad base64 in \(word)") }
        decoded += bytes
    }
    require(decoded == Array(text.utf8), "encoded words do not decode back")
}

/// No CR or LF except a CRLF followed by a space or tab (a folded header line).
private func checkFolding(_ header: String) {
    let bytes = Array(header.utf8)
    for (index, byte) in bytes.enumerated() where byte == 13 || byte == 10 {
        func isBlank(_ at: Int) -> Bool { at < bytes.count && (bytes[at] == 32 || bytes[at] == 9) }
        let folds = byte == 13 && index + 1 < bytes.count && bytes[index + 1] == 10 && isBlank(index + 2)
        let afterFold = byte == 10 && index > 0 && bytes[index - 1] == 13 && isBlank(index + 1)
        require(folds || afterFold, "a bare line break in a header: \(header.debugDescription)")
    }
}
