/// A page of a list: the items under their own key (`messages`, `deliveries`), `has_more`, and the cursor for the next
/// page (`null` on the last one).
struct PageView<Item: Encodable & Sendable>: Encodable, Sendable {
    var key: String
    var items: [Item]
    var hasMore: Bool
    var nextStartingAfter: Int64?

    /// A page from `fetched`, which holds up to `limit + 1` items: the extra one only says there is more.
    init(key: String, fetched: [Item], limit: Int, cursor: (Item) -> Int64) {
        self.key = key
        self.items = Array(fetched.prefix(limit))
        self.hasMore = fetched.count > limit
        self.nextStartingAfter = hasMore ? items.last.map(cursor) : nil
    }

    /// A page whose store said where the next one starts (`nil`: this is the last).
    init(key: String, items: [Item], nextStartingAfter: Int64?) {
        self.key = key
        self.items = items
        self.hasMore = nextStartingAfter != nil
        self.nextStartingAfter = nextStartingAfter
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(key))
        try container.encode(hasMore, forKey: Key("has_more"))
        try container.encode(nextStartingAfter, forKey: Key("next_starting_after"))
    }
}
