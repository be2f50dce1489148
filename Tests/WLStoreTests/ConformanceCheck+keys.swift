import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    static let keys: [ConformanceCheck] = [
        ConformanceCheck("a key authenticates to its own firm and records its use") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let key = APIKey.generate(mode: .live)
            let record = try await store.createAPIKey(firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "ci", now: checkTime)
            #expect(record.lastUsedAt == nil)
            let found = try #require(try await store.authenticate(keyHash: key.hash, now: checkTime.addingTimeInterval(5)))
            #expect(found.firm.id == firm.id)
            #expect(found.key.id == record.id)
            #expect(try await store.apiKeys(firmID: firm.id).first?.lastUsedAt == checkTime.addingTimeInterval(5))
        },
        ConformanceCheck("a bound on active keys holds for requests at once, and a revoked key makes room") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let made = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        let key = APIKey.generate(mode: .live)
                        do {
                            _ = try await store.createAPIKey(
                                firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "k\(index)", activeAtMost: 3, now: checkTime
                            )
                            return true
                        } catch let error as DomainError where error.code == .conflict {
                            return false
                        } catch {
                            Issue.record("unexpected \(error)")
                            return false
                        }
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(made == 3)
            let keys = try await store.apiKeys(firmID: firm.id)
            #expect(keys.count == 3)
            _ = try await store.revokeAPIKey(firmID: firm.id, keyID: keys[0].id, now: checkTime)
            let key = APIKey.generate(mode: .live)
            _ = try await store.createAPIKey(
                firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "again", activeAtMost: 3, now: checkTime)
            #expect(try await store.apiKeys(firmID: firm.id).count { $0.revokedAt == nil } == 3)
        },
        ConformanceCheck("last use is written at most once a minute") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let key = APIKey.generate(mode: .live)
            _ = try await store.createAPIKey(firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "", now: checkTime)
            _ = try await store.authenticate(keyHash: key.hash, now: checkTime)
            _ = try await store.authenticate(keyHash: key.hash, now: checkTime.addingTimeInterval(30))
            #expect(try await store.apiKeys(firmID: firm.id).first?.lastUsedAt == checkTime)
            _ = try await store.authenticate(keyHash: key.hash, now: checkTime.addingTimeInterval(61))
            #expect(try await store.apiKeys(firmID: firm.id).first?.lastUsedAt == checkTime.addingTimeInterval(61))
        },
        ConformanceCheck("the key list holds every active key and only the newest revoked ones") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            var made: [Int64] = []
            for index in 0..<(SQLStore.revokedKeysListed + 5) {
                let key = APIKey.generate(mode: .live)
                let record = try await store.createAPIKey(
                    firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "k\(index)", now: checkTime)
                made.append(record.id)
                // Every key but the first and the sixth is revoked: the two active ones are the oldest.
                if index != 0 && index != 5 { _ = try await store.revokeAPIKey(firmID: firm.id, keyID: record.id, now: checkTime) }
            }
            let listed = try await store.apiKeys(firmID: firm.id)
            let revoked = made.filter { $0 != made[0] && $0 != made[5] }
            #expect(listed.map(\.id) == (Array(revoked.suffix(SQLStore.revokedKeysListed)) + [made[0], made[5]]).sorted(by: >))
            #expect(listed.filter { $0.revokedAt == nil }.map(\.id) == [made[5], made[0]])
        },
        ConformanceCheck("an unknown hash finds nothing") { store in
            let found = try await store.authenticate(keyHash: APIKey.generate(mode: .live).hash, now: checkTime)
            #expect(found == nil)
        },
        ConformanceCheck("a revoked key no longer authenticates and revoking again changes nothing") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let key = APIKey.generate(mode: .live)
            let record = try await store.createAPIKey(firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "", now: checkTime)
            let revoked = try await store.revokeAPIKey(firmID: firm.id, keyID: record.id, now: checkTime)
            #expect(revoked.revokedAt == checkTime)
            #expect(try await store.authenticate(keyHash: key.hash, now: checkTime) == nil)
            let again = try await store.revokeAPIKey(firmID: firm.id, keyID: record.id, now: checkTime.addingTimeInterval(100))
            #expect(again.revokedAt == checkTime)
        },
        ConformanceCheck("one firm can neither list nor revoke another firm's keys") { store in
            let a = try await store.createFirm(try newFirm("firm-a"), now: checkTime)
            let b = try await store.createFirm(try newFirm("firm-b"), now: checkTime)
            let key = APIKey.generate(mode: .live)
            let record = try await store.createAPIKey(firmID: a.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "", now: checkTime)
            #expect(try await store.apiKeys(firmID: b.id).isEmpty)
            let error = await #expect(throws: DomainError.self) { try await store.revokeAPIKey(firmID: b.id, keyID: record.id, now: checkTime) }
            #expect(error?.code == .notFound)
            #expect(try await store.authenticate(keyHash: key.hash, now: checkTime)?.firm.id == a.id)
        },
        ConformanceCheck("a key hash is unique") { store in
            let firm = try await store.createFirm(try newFirm("acme"), now: checkTime)
            let key = APIKey.generate(mode: .live)
            _ = try await store.createAPIKey(firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "", now: checkTime)
            let error = await #expect(throws: DomainError.self) {
                try await store.createAPIKey(firmID: firm.id, hash: key.hash, displayPrefix: key.displayPrefix, label: "", now: checkTime)
            }
            #expect(error?.code == .duplicate)
        },
    ]
}
