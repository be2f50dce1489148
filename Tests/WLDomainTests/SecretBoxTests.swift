import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct SecretBoxTests {
    /// 32 zero bytes: its SHA-256 starts 66687aad.
    let zeroKey = Data(count: 32).base64EncodedString()
    let oldKey = SecretBox.generateKey()
    let newKey = SecretBox.generateKey()

    /// Printable text, including non-ASCII (surrogates excluded: they are not scalars).
    static let texts = Gen.character(in: " "..."\u{D7FF}").string(of: 0...80)

    @Test func keyIDIsTheFirstEightHexCharactersOfTheKeysSHA256() throws {
        #expect(try SecretBox(key: zeroKey).currentKeyID == "66687aad")
        #expect(SecretBox.keyID(ofBase64: zeroKey) == "66687aad")
        #expect(SecretBox.keyID(ofBase64: "short") == nil)
    }

    @Test func anySecretRoundTripsAndIsStoredInTheVersionedForm() async throws {
        let box = try SecretBox(key: newKey)
        await propertyCheck(input: Self.texts) { secret in
            let stored = box.seal(secret)
            #expect(stored.hasPrefix("enc:v1:\(box.currentKeyID):"))
            #expect(secret.count < 4 || !stored.contains(secret))
            #expect((try? box.open(stored)) == OpenedSecret(plaintext: secret, sealing: .currentKey))
        }
    }

    @Test func sealingTheSameSecretTwiceGivesDifferentTexts() throws {
        let box = try SecretBox(key: newKey)
        #expect(box.seal("whsec-1") != box.seal("whsec-1"))
    }

    @Test func anyChangedByteOfTheSealedValueIsDetected() async throws {
        let box = try SecretBox(key: newKey)
        let stored = box.seal("receiver-secret-42")
        let prefix = "enc:v1:\(box.currentKeyID):"
        let payload = try #require(Data(base64Encoded: String(stored.dropFirst(prefix.count))))
        // Nonce (12) + ciphertext (18) + tag (16).
        #expect(payload.count == 12 + 18 + 16)
        await propertyCheck(input: Gen.int(in: 0...(payload.count - 1)), Gen.int(in: 1...255)) { index, flip in
            var changed = payload
            changed[index] ^= UInt8(flip)
            #expect(throws: SecretBoxError.authenticationFailed(box.currentKeyID)) {
                try box.open(prefix + changed.base64EncodedString())
            }
        }
    }

    @Test func aTruncatedValueIsRefused() throws {
        let box = try SecretBox(key: newKey)
        let stored = box.seal("receiver-secret-42")
        let prefix = "enc:v1:\(box.currentKeyID):"
        let payload = try #require(Data(base64Encoded: String(stored.dropFirst(prefix.count))))
        #expect(throws: SecretBoxError.authenticationFailed(box.currentKeyID)) {
            try box.open(prefix + payload.prefix(20).base64EncodedString())
        }
    }

    @Test func afterRotationValuesSealedWithThePreviousKeyOpenAndAskToBeResealed() throws {
        let before = try SecretBox(key: oldKey)
        let stored = before.seal("tracking-key")
        let after = try SecretBox(key: newKey, previousKeys: [oldKey])
        let opened = try after.open(stored)
        #expect(opened == OpenedSecret(plaintext: "tracking-key", sealing: .previousKey))
        #expect(opened.needsResealing)
        let resealed = after.seal(opened.plaintext)
        #expect(try after.open(resealed).sealing == .currentKey)
        // Once the old key is dropped, only the resealed value still opens.
        let dropped = try SecretBox(key: newKey)
        #expect(try dropped.open(resealed).plaintext == "tracking-key")
        #expect(throws: SecretBoxError.unknownKey(before.currentKeyID)) { try dropped.open(stored) }
    }

    @Test func aValueSealedWithAKeyOutsideTheRingFailsWithItsKeyID() throws {
        let stranger = try SecretBox(key: oldKey)
        let ring = try SecretBox(key: newKey, previousKeys: [zeroKey])
        let error = #expect(throws: SecretBoxError.self) { try ring.open(stranger.seal("s3cret-value")) }
        #expect(error == .unknownKey(stranger.currentKeyID))
        #expect(error.map { "\($0)" }?.contains("s3cret-value") == false)
    }

    @Test func aValueRelabelledWithAnotherKeysIDNeverOpens() throws {
        let stranger = try SecretBox(key: oldKey)
        let ring = try SecretBox(key: newKey)
        let relabelled = stranger.seal("s3cret-value").replacingOccurrences(of: stranger.currentKeyID, with: ring.currentKeyID)
        #expect(throws: SecretBoxError.authenticationFailed(ring.currentKeyID)) { try ring.open(relabelled) }
    }

    @Test(arguments: ["receiver-secret-42", "", "whsec_abc:def", "ünïcødé"])
    func legacyPlaintextOpensAsItselfAndAsksToBeSealed(stored: String) throws {
        let opened = try SecretBox(key: newKey).open(stored)
        #expect(opened == OpenedSecret(plaintext: stored, sealing: .plaintext))
        #expect(opened.needsResealing)
        #expect(!SecretBox.isSealed(stored))
    }

    @Test func malformedAndUnknownFormatsAreRefused() throws {
        let box = try SecretBox(key: newKey)
        let id = box.currentKeyID
        #expect(throws: SecretBoxError.malformed) { try box.open("enc:v1:\(id)") }
        #expect(throws: SecretBoxError.malformed) { try box.open("enc:v1:\(id):not base64!") }
        #expect(throws: SecretBoxError.unsupportedVersion("v2")) { try box.open("enc:v2:\(id):AAAA") }
    }

    @Test(arguments: ["", "not base64!", "AAAAAAAAAAAAAAAAAAAAAA==", Data(count: 33).base64EncodedString()])
    func keysThatAreNotThirtyTwoBytesOfBase64AreRefused(key: String) throws {
        for attempt in [{ try SecretBox(key: key) }, { try SecretBox(key: newKey, previousKeys: [key]) }] {
            let error = #expect(throws: SecretBoxError.self) { try attempt() }
            if case .invalidKey = error {} else { Issue.record("expected invalidKey, got \(String(describing: error))") }
        }
    }

    @Test func generatedKeysAreValidAndDistinct() throws {
        let keys = Set((0..<100).map { _ in SecretBox.generateKey() })
        #expect(keys.count == 100)
        for key in keys { _ = try SecretBox(key: key) }
    }
}
