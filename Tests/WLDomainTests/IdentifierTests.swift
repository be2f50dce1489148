import Foundation
import Testing
import WLDomain

@Suite struct IdentifierTests {
    @Test func hexIsTwoLowerCaseDigitsPerByte() {
        #expect([UInt8]().hex == "")
        #expect([0x00, 0x0F, 0xA5, 0xFF].hex == "000fa5ff")
    }

    @Test(arguments: [Channel.sms, .email])
    func blastIDsAreThePrefixAndTwentyCrockfordSymbols(channel: Channel) {
        let ids = (0..<200).map { _ in NewBlast.makeID(for: channel, at: Date()) }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let symbols = id.dropFirst(channel.blastPrefix.count + 1)
            #expect(id.hasPrefix(channel.blastPrefix + "-"))
            #expect(symbols.count == 20)
            #expect(symbols.allSatisfy { "ABCDEFGHJKMNPQRSTVWXYZ0123456789".contains($0) })
        }
        // Every one of the 32 symbols turns up in the random halves of 200 ids (2,000 draws): the five-bit slices
        // cover the alphabet.
        #expect(Set(ids.flatMap { $0.suffix(10) }).count == 32)
    }

    /// The first ten symbols are the time in milliseconds, most significant first, so ids sort by time.
    @Test func blastIDsStartWithTheirMillisecondAndSortByTime() throws {
        let time = Date(timeIntervalSince1970: 1_796_486_400.1235)  // 2026-12-05 16:00:00.1235 UTC
        let id = NewBlast.makeID(for: .sms, at: time)
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let decoded = try id.dropFirst(4).prefix(10).reduce(UInt64(0)) { value, symbol in
            let digit = try #require(alphabet.firstIndex(of: symbol))
            return value << 5 | UInt64(digit)
        }
        #expect(decoded == 1_796_486_400_123)
        var times = (0..<300).map { _ in Date(timeIntervalSince1970: .random(in: 0...4_102_444_800)) }
        times.append(contentsOf: [time, time.addingTimeInterval(0.001)])
        let sorted = times.sorted()
        let ids = sorted.map { NewBlast.makeID(for: .email, at: $0) }
        // Byte order, as both engines compare text keys; ids of one millisecond may fall either way.
        for (earlier, later) in zip(zip(sorted, ids), zip(sorted.dropFirst(), ids.dropFirst()))
        where Int64(earlier.0.timeIntervalSince1970 * 1000) < Int64(later.0.timeIntervalSince1970 * 1000) {
            #expect(Array(earlier.1.utf8).lexicographicallyPrecedes(Array(later.1.utf8)))
        }
    }
}
