import ArgumentParser
import Foundation

/// Secrets given to the CLI without putting them on its command line (where shell history and `ps` see them).
enum SecretInput {
    /// The first line of the file at `path`.
    static func file(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("Cannot read the secret file \(path).")
        }
        return try firstLine(of: String(decoding: data, as: UTF8.self), from: path)
    }

    /// The first line of standard input.
    static func standardInput() throws -> String {
        try firstLine(of: readLine(strippingNewline: true) ?? "", from: "standard input")
    }

    private static func firstLine(of text: String, from source: String) throws -> String {
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map { String($0) } ?? ""
        let secret = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !secret.isEmpty else { throw ValidationError("The secret from \(source) is empty.") }
        return secret
    }
}
