import WLDomain

/// The cursor parameters every list takes: `limit` (1–100, default 20) and `starting_after` (the previous page's
/// `next_starting_after`: its last item, or for a page that ended at its window, the last row it read).
struct PageQuery {
    /// The largest page.
    static let maximumLimit = 100
    /// The page size when `limit` is not given.
    static let defaultLimit = 20
    /// The query parameters it reads.
    static let names: Set<String> = ["limit", "starting_after"]

    var limit = Self.defaultLimit
    var startingAfter: Int64?

    /// Reads both parameters from `query`, adding a message to `errors` for each bad one.
    init(_ query: [String: String], errors: inout [String: [String]]) {
        if let raw = query["limit"] {
            if let value = Int(raw), (1...Self.maximumLimit).contains(value) {
                limit = value
            } else {
                errors["limit"] = ["A whole number from 1 to \(Self.maximumLimit)."]
            }
        }
        if let raw = query["starting_after"] {
            if let value = Int64(raw), value > 0 { startingAfter = value } else { errors["starting_after"] = ["An id from the previous page."] }
        }
    }

    /// Reads both parameters from `query`.
    /// - Throws: `.validation` naming each bad parameter.
    init(_ query: [String: String]) throws {
        var errors: [String: [String]] = [:]
        self.init(query, errors: &errors)
        if !errors.isEmpty { throw DomainError(.validation, "The query is not valid.", fields: errors) }
    }
}
