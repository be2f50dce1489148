public import Foundation
public import WLDomain
public import WLPorts

extension SQLStore {
    static let contactColumns = "kind, first_name, last_name, phone, email, account_balance_cents, promotional_consent, consent_source"

    public func importContacts(firmID: Int64, _ contacts: [Contact], now: Date) async throws -> ContactImportSummary {
        try await write { connection in
            var summary = ContactImportSummary(inserted: 0, updated: 0)
            for contact in contacts {
                let values: [SQLValue] = [
                    .int(firmID), .text(contact.kind.rawValue), .text(contact.firstName), .text(contact.lastName),
                    .text(contact.phone?.e164Digits), .text(contact.email), .int(contact.accountBalance?.cents), .time(now),
                ]
                let match = contact.phone != nil ? "phone = $5" : "phone IS NULL AND email = $6"
                let updated = try await connection.query(
                    """
                    UPDATE contacts SET first_name = $3, last_name = $4, phone = $5, email = $6,
                        account_balance_cents = $7, updated_at = $8
                    WHERE id = (SELECT id FROM contacts WHERE firm_id = $1 AND kind = $2 AND \(match) ORDER BY id LIMIT 1)
                    RETURNING id
                    """, values)
                if updated.isEmpty {
                    try await connection.query(
                        """
                        INSERT INTO contacts (firm_id, kind, first_name, last_name, phone, email, account_balance_cents,
                            created_at, updated_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                        """, values)
                    summary.inserted += 1
                } else {
                    summary.updated += 1
                }
            }
            return summary
        }
    }

    public func contactsByPhone(firmID: Int64, phones: [String]) async throws -> [String: Contact] {
        try await contacts(firmID: firmID, matching: "phone", values: phones) { $0.phone?.e164Digits }
    }

    public func contactsByEmail(firmID: Int64, addresses: [String]) async throws -> [String: Contact] {
        try await contacts(firmID: firmID, matching: "LOWER(email)", values: addresses.map { $0.lowercased() }) { $0.email?.lowercased() }
    }

    /// The contact for each of `values` of `column` that has one: a client before an address-book entry, the earliest
    /// first within a kind; keyed by `key`.
    private func contacts(
        firmID: Int64, matching column: String, values: [String], key: @escaping @Sendable (Contact) -> String?
    )
        async throws -> [String: Contact]
    {
        try await database.read { connection in
            var result: [String: Contact] = [:]
            var start = 0
            while start < values.count {
                let chunk = Array(values[start..<min(start + Self.insertBatch, values.count)])
                let placeholders = chunk.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
                let rows = try await connection.query(
                    """
                    SELECT \(Self.contactColumns) FROM contacts WHERE firm_id = $1 AND \(column) IN (\(placeholders))
                    ORDER BY CASE kind WHEN 'client' THEN 0 ELSE 1 END, id
                    """, [.int(firmID)] + chunk.map(SQLValue.text))
                for row in rows {
                    let contact = try Self.contact(from: row)
                    if let value = key(contact), result[value] == nil { result[value] = contact }
                }
                start += chunk.count
            }
            return result
        }
    }

    public func contacts(firmID: Int64) async throws -> [Contact] {
        try await database.read { connection in
            try await connection.query(
                "SELECT \(Self.contactColumns) FROM contacts WHERE firm_id = $1 ORDER BY id", [.int(firmID)]
            ).map(Self.contact)
        }
    }

    static func contact(from row: SQLRow) throws -> Contact {
        Contact(
            kind: try row.value("kind", as: ContactKind.self), firstName: try row.text("first_name"), lastName: try row.text("last_name"),
            phone: try row.optionalText("phone").flatMap(PhoneNumber.init), email: try row.optionalText("email"),
            accountBalance: try row.optionalInt("account_balance_cents").map(KES.init(cents:)),
            promotionalConsent: try row.optionalInt("promotional_consent").map { $0 != 0 }, consentSource: try row.optionalText("consent_source"))
    }

    static let clientRows = SQLSet([
        ("phone", .text), ("first_name", .text), ("last_name", .text), ("email", .text), ("balance", .int), ("consent", .int),
        ("consent_source", .text),
    ])

    public func upsertClients(firmID: Int64, _ contacts: [Contact], now: Date) async throws -> ContactImportSummary {
        guard !contacts.isEmpty else { return ContactImportSummary(inserted: 0, updated: 0) }
        let rows = Self.clientRows.parameter(
            contacts.map { contact in
                [
                    .text(contact.phone?.e164Digits), .text(contact.firstName), .text(contact.lastName), .text(contact.email),
                    .int(contact.accountBalance?.cents), .int(contact.promotionalConsent.map { $0 ? 1 : 0 }), .text(contact.consentSource),
                ]
            })
        let source = Self.clientRows.source(database.dialect, parameter: 1)
        return try await write { connection in
            // Consent not given in a row keeps what was recorded before.
            let updated = try await connection.query(
                """
                UPDATE contacts SET first_name = v.first_name, last_name = v.last_name, email = v.email, account_balance_cents = v.balance,
                    promotional_consent = COALESCE(v.consent, contacts.promotional_consent),
                    consent_source = CASE WHEN v.consent IS NULL THEN contacts.consent_source ELSE v.consent_source END, updated_at = $3
                FROM \(source)
                WHERE contacts.id = (SELECT MIN(x.id) FROM contacts x WHERE x.firm_id = $2 AND x.kind = 'client' AND x.phone = v.phone)
                RETURNING contacts.id
                """, [rows, .int(firmID), .time(now)]
            ).count
            let inserted = try await connection.query(
                """
                INSERT INTO contacts (firm_id, kind, first_name, last_name, phone, email, account_balance_cents, promotional_consent,
                    consent_source, created_at, updated_at)
                SELECT $2, 'client', v.first_name, v.last_name, v.phone, v.email, v.balance, v.consent, v.consent_source, $3, $3
                FROM \(source)
                WHERE NOT EXISTS (SELECT 1 FROM contacts x WHERE x.firm_id = $2 AND x.kind = 'client' AND x.phone = v.phone) ORDER BY v.ord
                RETURNING id
                """, [rows, .int(firmID), .time(now)]
            ).count
            return ContactImportSummary(inserted: inserted, updated: updated)
        }
    }

    public func deleteContacts(firmID: Int64, phone: String) async throws -> Int {
        try await write { connection in
            try await connection.query("DELETE FROM contacts WHERE firm_id = $1 AND phone = $2 RETURNING id", [.int(firmID), .text(phone)]).count
        }
    }
}
