import Foundation
import PropertyBased
import Testing
import WLDomain

@Suite struct ConsoleRulesTests {
    static func user(_ id: Int64, _ role: ConsoleRole, _ firm: Int64?) -> ConsoleUser {
        ConsoleUser(id: id, email: "u\(id)@acme.test", role: role, firmID: firm, passwordHash: "h", createdAt: Date(timeIntervalSince1970: 0))
    }

    @Test func fiveFailuresAreFreeThenTheLockDoublesUpToFifteenMinutes() {
        let locks = (1...12).map { SignInLockout.lock(afterFailures: $0) }
        #expect(locks == [nil, nil, nil, nil, nil, 30, 60, 120, 240, 480, 900, 900])
    }

    /// Any run of failures: the lock never shrinks as failures grow, never passes the cap, and is none for the
    /// first five.
    @Test func lockGrowsWithFailuresAndStaysCapped() async {
        await propertyCheck(input: Gen.int(in: 0...10_000)) { failures in
            let lock = SignInLockout.lock(afterFailures: failures)
            let next = SignInLockout.lock(afterFailures: failures + 1)
            #expect((lock == nil) == (failures <= SignInLockout.freeFailures))
            #expect((next ?? 0) >= (lock ?? 0))
            #expect((lock ?? 0) <= SignInLockout.maximumLock)
        }
    }

    /// Every pair of actor and target among two firms' owners and developers and an admin: who may remove whom.
    @Test func anOwnerRemovesOthersOfTheirFirmAnAdminAnyFirmUserNobodyThemselves() {
        let owner = Self.user(1, .owner, 7)
        let otherOwner = Self.user(2, .owner, 7)
        let developer = Self.user(3, .developer, 7)
        let outsider = Self.user(4, .owner, 8)
        let admin = Self.user(5, .admin, nil)
        func outcome(_ actor: ConsoleUser, _ target: ConsoleUser?, firm: Int64 = 7) -> String {
            do {
                return "removes \(try ConsoleUserRemoval.check(actor: actor, target: target, firmID: firm).id)"
            } catch let error as DomainError {
                return error.code.rawValue
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome(owner, developer) == "removes 3")
        #expect(outcome(owner, otherOwner) == "removes 2")
        #expect(outcome(owner, owner) == "conflict")
        #expect(outcome(owner, outsider) == "notFound")
        #expect(outcome(owner, nil) == "notFound")
        #expect(outcome(developer, owner) == "forbidden")
        #expect(outcome(outsider, developer) == "forbidden")
        #expect(outcome(admin, owner) == "removes 1")
        #expect(outcome(admin, outsider, firm: 8) == "removes 4")
        #expect(outcome(admin, outsider) == "notFound")
        #expect(outcome(admin, admin, firm: 7) == "notFound")
    }

    /// A role change: the same people as a removal, to owner or developer only, never one's own.
    @Test func anOwnerChangesOthersRolesInTheirFirmAnAdminAnyFirmUserNobodyTheirOwn() {
        let owner = Self.user(1, .owner, 7)
        let developer = Self.user(3, .developer, 7)
        let outsider = Self.user(4, .owner, 8)
        let admin = Self.user(5, .admin, nil)
        func outcome(_ actor: ConsoleUser, _ target: ConsoleUser?, _ role: ConsoleRole, firm: Int64 = 7) -> String {
            do {
                let changed = try ConsoleRoleChange.check(actor: actor, target: target, firmID: firm, role: role)
                return "\(changed.id) \(changed.role.rawValue)"
            } catch let error as DomainError {
                return error.code.rawValue
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome(owner, developer, .owner) == "3 owner")
        #expect(outcome(owner, developer, .developer) == "3 developer")
        #expect(outcome(owner, developer, .admin) == "validation")
        #expect(outcome(owner, owner, .developer) == "conflict")
        #expect(outcome(owner, outsider, .developer) == "notFound")
        #expect(outcome(developer, owner, .developer) == "forbidden")
        #expect(outcome(developer, owner, .admin) == "forbidden")
        #expect(outcome(owner, outsider, .admin) == "notFound")
        #expect(outcome(admin, outsider, .developer, firm: 8) == "4 developer")
        #expect(outcome(admin, admin, .owner) == "notFound")
    }

    @Test func secondsLeftRoundsUpAndEndsAtTheLock() {
        let now = Date(timeIntervalSince1970: 1_000)
        #expect(SignInLockout.secondsLeft(lockedUntil: now.addingTimeInterval(29.2), now: now) == 30)
        #expect(SignInLockout.secondsLeft(lockedUntil: now, now: now) == nil)
        #expect(SignInLockout.secondsLeft(lockedUntil: nil, now: now) == nil)
    }

    @Test func passwordsAreTwelveToSeventyTwoBytesWithoutNUL() throws {
        #expect(try ConsoleCredentials.password("twelve-chars") == "twelve-chars")
        for bad in ["short-pass1", String(repeating: "é", count: 37), "twelve-chars\u{0}"] {
            #expect(throws: DomainError.self) { try ConsoleCredentials.password(bad) }
            do {
                _ = try ConsoleCredentials.password(bad)
            } catch let error as DomainError {
                #expect(error.code == .validation)
                #expect(error.fields["password"] != nil)
            }
        }
        // 72 bytes is the most bcrypt reads: 36 two-byte characters pass.
        #expect(try ConsoleCredentials.password(String(repeating: "é", count: 36)).utf8.count == 72)
    }

    @Test func emailsAreTrimmedAndLowerCasedAndMalformedOnesRefused() throws {
        #expect(try ConsoleCredentials.email("  Owner@Example.CO.KE ") == "owner@example.co.ke")
        for bad in ["", "owner", "@example.com", "owner@localhost", "a b@example.com", "a@b@example.com"] {
            do {
                _ = try ConsoleCredentials.email(bad)
                Issue.record("accepted \(bad)")
            } catch let error as DomainError {
                #expect(error.code == .validation)
                #expect(error.fields["email"] == ["invalid"])
            }
        }
    }

    @Test func sessionTokensAreFortyThreeBase64URLCharactersAndHashLikeKeys() {
        let token = SessionToken.generate()
        #expect(token.secret.utf8.count == 43)
        #expect(SessionToken(token.secret) == token)
        #expect(token.hash.count == 64)
        #expect(token.hash != SessionToken.generate().hash)
        #expect(SessionToken(String(token.secret.dropLast())) == nil)
        #expect(SessionToken(String(token.secret.dropLast()) + "=") == nil)
        #expect(SessionToken("wl_test_communication_sms_sandbox") == nil)
    }
}
