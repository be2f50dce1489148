/// Comparisons whose time does not depend on where two secrets differ.
public enum ConstantTime {
    /// Whether `a` and `b` are equal, looking at every byte of `a` whatever the result.
    public static func equal(_ a: String, _ b: String) -> Bool {
        equal(Array(a.utf8), Array(b.utf8))
    }

    /// Whether two byte strings are equal, looking at every byte of `left` whatever the result. Lengths are compared
    /// whole: two strings whose lengths differ by any multiple of 256 are not equal.
    public static func equal<Left: Collection<UInt8>, Right: Collection<UInt8>>(_ left: Left, _ right: Right) -> Bool {
        let left = Array(left)
        let right = Array(right)
        var difference = UInt(bitPattern: left.count ^ right.count)
        for index in left.indices {
            difference |= UInt(left[index] ^ (index < right.count ? right[index] : 0))
        }
        return difference == 0
    }
}
