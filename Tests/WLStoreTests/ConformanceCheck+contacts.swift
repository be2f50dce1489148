import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    static let contacts: [ConformanceCheck] = [
        ConformanceCheck("contacts import inserts, then updates on the same kind and phone or email") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let jane = Contact(
                kind: .client, firstName: "Jane", lastName: "W", phone: PhoneNumber("0712345678"), email: nil, accountBalance: KES(cents: 100))
            let mailOnly = Contact(kind: .addressBook, firstName: "Mo", lastName: "", phone: nil, email: "mo@example.com", accountBalance: nil)
            let first = try await store.importContacts(firmID: firm.id, [jane, mailOnly], now: checkTime)
            #expect(first == ContactImportSummary(inserted: 2, updated: 0))
            var janeAgain = jane
            janeAgain.accountBalance = KES(cents: 999)
            var sameNumberInAddressBook = jane
            sameNumberInAddressBook.kind = .addressBook
            let second = try await store.importContacts(firmID: firm.id, [janeAgain, mailOnly, sameNumberInAddressBook], now: checkTime)
            #expect(second == ContactImportSummary(inserted: 1, updated: 2))
            let stored = try await store.contacts(firmID: firm.id)
            #expect(stored == [janeAgain, mailOnly, sameNumberInAddressBook])
        },
        ConformanceCheck("a phone finds a client before an address-book contact") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let book = Contact(kind: .addressBook, firstName: "Book", lastName: "", phone: PhoneNumber("0712345678"), email: nil, accountBalance: nil)
            let client = Contact(kind: .client, firstName: "Client", lastName: "", phone: PhoneNumber("0712345678"), email: nil, accountBalance: nil)
            let onlyBook = Contact(
                kind: .addressBook, firstName: "Only", lastName: "", phone: PhoneNumber("0712345679"), email: nil, accountBalance: nil)
            _ = try await store.importContacts(firmID: firm.id, [book, client, onlyBook], now: checkTime)
            let found = try await store.contactsByPhone(firmID: firm.id, phones: ["254712345678", "254712345679", "254799999999"])
            #expect(found == ["254712345678": client, "254712345679": onlyBook])
            let other = try await store.createFirm(try newFirm("other"), now: checkTime)
            #expect(try await store.contactsByPhone(firmID: other.id, phones: ["254712345678"]).isEmpty)
        },
        ConformanceCheck("contacts belong to one firm") { store in
            let a = try await store.createFirm(try newFirm("firm-a"), now: checkTime)
            let b = try await store.createFirm(try newFirm("firm-b"), now: checkTime)
            let contact = Contact(kind: .client, firstName: "A", lastName: "", phone: PhoneNumber("0712345678"), email: nil, accountBalance: nil)
            _ = try await store.importContacts(firmID: a.id, [contact], now: checkTime)
            #expect(try await store.contacts(firmID: b.id).isEmpty)
            #expect(try await store.importContacts(firmID: b.id, [contact], now: checkTime) == ContactImportSummary(inserted: 1, updated: 0))
        },
    ]
}
