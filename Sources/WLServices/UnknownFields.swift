import WLDomain

/// Request bodies name their fields exactly: an unknown field is an error, as Stripe does it.
enum UnknownFields {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// - Throws: `.validation` naming each field of the JSON object that is not in `known`.
    static func refuse(in decoder: any Decoder, known: [String]) throws {
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw DomainError(
                .validation, "Unknown field\(unknown.count > 1 ? "s" : ""): \(unknown.joined(separator: ", ")).",
                fields: Dictionary(uniqueKeysWithValues: unknown.map { ($0, ["Unknown field; the fields are \(known.joined(separator: ", "))."]) }))
        }
    }
}
