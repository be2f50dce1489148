extension Sequence where Element == UInt8 {
    /// The bytes as lower-case hex, two characters each.
    public var hex: String {
        map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
