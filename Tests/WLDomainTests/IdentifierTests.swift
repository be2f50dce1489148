import Testing
import WLDomain

@Suite struct IdentifierTests {
    @Test func hexIsTwoLowerCaseDigitsPerByte() {
        #expect([UInt8]().hex == "")
        #expect([0x00, 0x0F, 0xA5, 0xFF].hex == "000fa5ff")
    }

    @Test(arguments: [Channel.sms, .email])
    func blastIDsAreThePrefixAndTwentyCrockfordSymbols(channel: Channel) {
        let ids = (0..<200).map { _ in NewBlast.makeID(for: channel) }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let symbols = id.dropFirst(channel.blastPrefix.count + 1)
            #expect(id.hasPrefix(channel.blastPrefix + "-"))
            #expect(symbols.count == 20)
            #expect(symbols.allSatisfy { "ABCDEFGHJKMNPQRSTVWXYZ0123456789".contains($0) })
        }
        // Every one of the 32 symbols turns up across 200 ids (4,000 draws): the five-bit slices cover the alphabet.
        #expect(Set(ids.flatMap { $0.dropFirst(channel.blastPrefix.count + 1) }).count == 32)
    }
}
