public import WLDomain
public import WLPorts

/// Creates the sandbox firm of the contract, idempotently: slug `sandbox`, key `wl_test_communication_sms_sandbox`,
/// rate 1.8 KES per credit, 1,000 starting credits, and a few clients and address-book contacts for placeholders.
public struct SandboxSeeder: Sendable {
    /// The contract's sandbox key.
    public static let sandboxKey = APIKey("wl_test_communication_sms_sandbox")!
    /// The sandbox firm's slug.
    public static let slug = "sandbox"
    /// Credits the sandbox firm starts with.
    public static let startingCredits = Credits(whole: 1_000)

    /// The contacts seeded, matching the contract's sandbox numbers.
    public static let contacts: [Contact] = [
        Contact(
            kind: .client, firstName: "Jane", lastName: "Wanjiku", phone: PhoneNumber("254712345678"),
            email: "jane@example.com", accountBalance: KES(cents: 123_400)),
        Contact(
            kind: .client, firstName: "Otieno", lastName: "Odhiambo", phone: PhoneNumber("254700000099"),
            email: "otieno@example.com", accountBalance: KES(cents: 50_050)),
        Contact(
            kind: .addressBook, firstName: "Amina", lastName: "Hassan", phone: PhoneNumber("254700000088"),
            email: "amina@example.com", accountBalance: nil),
        Contact(
            kind: .addressBook, firstName: "Peter", lastName: "Kamau", phone: PhoneNumber("0110123456"),
            email: "billing@example.com", accountBalance: KES(cents: 0)),
    ]

    let store: any Store
    let time: any TimeSource

    public init(store: any Store, time: any TimeSource) {
        self.store = store
        self.time = time
    }

    /// Makes sure the sandbox firm, its key, credits and contacts exist. Running it again changes nothing.
    /// - Returns: The sandbox firm.
    @discardableResult
    public func seed() async throws -> Firm {
        let now = time.now
        var firm: Firm
        if let existing = try await store.firm(slug: Self.slug) {
            firm = existing
        } else {
            firm = try await store.createFirm(
                NewFirm(slug: Self.slug, name: "World Ledgers Sandbox", smsRate: KES(cents: 180), mode: .sandbox), now: now)
            _ = try await store.applyCredits(
                firmID: firm.id, amount: Self.startingCredits, kind: .adjustment, reference: "sandbox seed", now: now)
            _ = try await store.importContacts(firmID: firm.id, Self.contacts, now: now)
            firm = try await store.firm(id: firm.id) ?? firm
        }
        let key = Self.sandboxKey
        if try await store.apiKeys(firmID: firm.id).contains(where: { $0.hash == key.hash }) == false {
            do {
                _ = try await store.createAPIKey(
                    firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "sandbox", now: now)
            } catch let error as DomainError where error.code == .duplicate {
                // Another process seeded it at the same moment.
            }
        }
        return firm
    }
}
