public import WLDomain
public import WLPorts

/// A firm's contacts through the API: its system keeps names, balances and consent current.
public struct ContactService: Sendable {
    let store: any Store
    let time: any TimeSource

    public init(store: any Store, time: any TimeSource) {
        self.store = store
        self.time = time
    }

    /// Creates or updates each contact as one of the firm's clients, matched by phone number; sending the same
    /// request again changes nothing more.
    /// - Throws: `.validation` naming each bad entry.
    public func upsert(_ request: ContactsRequest, firmID: Int64) async throws -> ContactImportSummary {
        try await store.upsertClients(firmID: firmID, request.validated(), now: time.now)
    }

    /// Deletes every contact of the firm with `phone` (any accepted form).
    /// - Throws: `.validation` for a bad number; `.notFound` when the firm has none.
    public func delete(phone raw: String, firmID: Int64) async throws -> Int {
        guard let phone = PhoneNumber(raw) else {
            throw DomainError(.validation, "The phone number is not valid.", fields: ["phone": ["Not a Kenyan mobile number."]])
        }
        let deleted = try await store.deleteContacts(firmID: firmID, phone: phone.e164Digits)
        guard deleted > 0 else { throw DomainError(.notFound, "No contact with the number \(phone.e164Digits).") }
        return deleted
    }
}
