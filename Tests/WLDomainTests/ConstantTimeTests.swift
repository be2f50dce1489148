import Testing

@testable import WLDomain

@Suite struct ConstantTimeTests {
    @Test(arguments: [1, 255, 256, 257, 512, 513])
    func lengthsDifferingByAnyAmountAreUnequal(length: Int) {
        let secret = String(repeating: "k", count: length)
        #expect(ConstantTime.equal(secret, secret))
        #expect(!ConstantTime.equal("k", secret) || length == 1)
        #expect(!ConstantTime.equal(secret + "k", secret))
        #expect(!ConstantTime.equal("", secret))
    }

    @Test func theFirstCharacterOfA257CharacterTokenIsNotTheToken() {
        let token = "a" + String(repeating: "b", count: 256)
        #expect(!ConstantTime.equal("a", token))
        #expect(!ConstantTime.equal(token, "a"))
    }
}
