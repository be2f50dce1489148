import Foundation
import Testing
import WLDomain
import WLPorts
import WLStore

extension ConformanceCheck {
    static let console: [ConformanceCheck] = [
        ConformanceCheck("console users are unique by email, belong to a firm unless admin, and list per firm") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let owner = try await store.createUser(
                NewConsoleUser(email: "owner@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "$2b$04$hash"), now: checkTime)
            #expect(owner.role == .owner && owner.firmID == firm.id && owner.failedSignIns == 0 && owner.lockedUntil == nil)
            let admin = try await store.createUser(
                NewConsoleUser(email: "admin@wl.test", role: .admin, firmID: nil, passwordHash: "$2b$04$hash"), now: checkTime)
            do {
                _ = try await store.createUser(
                    NewConsoleUser(email: "owner@acme.co.ke", role: .developer, firmID: firm.id, passwordHash: "x"), now: checkTime)
                Issue.record("a second user with the same email was created")
            } catch let error as DomainError {
                #expect(error.code == .duplicate)
            }
            do {
                _ = try await store.createUser(NewConsoleUser(email: "x@y.test", role: .owner, firmID: 9_999, passwordHash: "x"), now: checkTime)
                Issue.record("a user of no firm was created")
            } catch let error as DomainError {
                #expect(error.code == .notFound)
            }
            #expect(try await store.user(email: "owner@acme.co.ke") == owner)
            #expect(try await store.user(email: "nobody@acme.co.ke") == nil)
            #expect(try await store.users(firmID: firm.id).map(\.id) == [owner.id])
            #expect(try await store.users(firmID: nil).map(\.id) == [owner.id, admin.id])
        },
        ConformanceCheck("a firm's users are bounded when the creation says so, counted per firm") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            for index in 0..<2 {
                _ = try await store.createUser(
                    NewConsoleUser(email: "u\(index)@acme.co.ke", role: .developer, firmID: firm.id, passwordHash: "", firmUsersAtMost: 2),
                    now: checkTime)
            }
            let error = await #expect(throws: DomainError.self) {
                try await store.createUser(
                    NewConsoleUser(email: "u2@acme.co.ke", role: .developer, firmID: firm.id, passwordHash: "", firmUsersAtMost: 2), now: checkTime)
            }
            #expect(error?.code == .conflict)
            #expect(try await store.users(firmID: firm.id).count == 2)
            _ = try await store.createUser(
                NewConsoleUser(email: "u0@other.co.ke", role: .owner, firmID: other.id, passwordHash: "", firmUsersAtMost: 2), now: checkTime)
            // Two at once for the last place: the firm's row is taken first, so they count one after the other.
            // Each creation's outcome: nil when made, else the refusal's code (or the error, when not a DomainError).
            let outcomes = await withTaskGroup(of: String?.self) { group in
                for index in 1...2 {
                    group.addTask {
                        do {
                            let user = NewConsoleUser(
                                email: "u\(index)@other.co.ke", role: .developer, firmID: other.id, passwordHash: "", firmUsersAtMost: 2)
                            _ = try await store.createUser(user, now: checkTime)
                            return nil
                        } catch {
                            return (error as? DomainError)?.code.rawValue ?? "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.contains("conflict"), "the other is refused as over the firm's user limit, not for another reason")
            #expect(try await store.users(firmID: other.id).count == 2)
            _ = try await store.createUser(NewConsoleUser(email: "u3@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime)
            #expect(try await store.users(firmID: firm.id).count == 3, "a creation that names no bound is not held to one")
        },
        ConformanceCheck("failed sign-ins count up with the lock the rule gives; unlocking or a session clears them") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let user = try await store.createUser(
                NewConsoleUser(email: "owner@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime)
            var after = user
            for _ in 1...6 {
                after = try await store.recordFailedSignIn(userID: user.id) { SignInLockout.lockedUntil(afterFailures: $0, now: checkTime) }
            }
            #expect(after.failedSignIns == 6)
            #expect(after.lockedUntil == checkTime.addingTimeInterval(30))
            try await store.unlock(userID: user.id)
            let unlocked = try #require(try await store.user(email: "owner@acme.co.ke"))
            #expect(unlocked.failedSignIns == 0 && unlocked.lockedUntil == nil && unlocked.lastSignInAt == nil)
            after = try await store.recordFailedSignIn(userID: user.id) { SignInLockout.lockedUntil(afterFailures: $0, now: checkTime) }
            #expect(after.failedSignIns == 1, "an unlocked user's failures count from zero again")
            let session = try await store.openSession(
                userID: user.id,
                NewConsoleSession(
                    tokenHash: "hash-1", kind: .cookie, csrfToken: "csrf", expiresAt: checkTime.addingTimeInterval(3_600), clientAddress: "10.0.0.1"),
                now: checkTime)
            #expect(session.userID == user.id && session.kind == .cookie && session.csrfToken == "csrf")
            let cleared = try #require(try await store.user(email: "owner@acme.co.ke"))
            #expect(cleared.failedSignIns == 0 && cleared.lockedUntil == nil && cleared.lastSignInAt == checkTime)
        },
        ConformanceCheck("a session is found by its hash until it expires, idles out or is closed") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let user = try await store.createUser(
                NewConsoleUser(email: "dev@acme.co.ke", role: .developer, firmID: firm.id, passwordHash: "h"), now: checkTime)
            let new = NewConsoleSession(
                tokenHash: "hash-2", kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(7_200), clientAddress: "10.0.0.2")
            _ = try await store.openSession(userID: user.id, new, now: checkTime)
            let found = try #require(try await store.session(tokenHash: "hash-2", idle: 1_800, now: checkTime.addingTimeInterval(600)))
            #expect(found.1.id == user.id && found.0.kind == .bearer)
            // Use at +600 s moved the idle clock: +2,300 s is within 30 minutes of it, not of the sign-in.
            #expect(try await store.session(tokenHash: "hash-2", idle: 1_800, now: checkTime.addingTimeInterval(2_300)) != nil)
            #expect(try await store.session(tokenHash: "hash-2", idle: 1_800, now: checkTime.addingTimeInterval(4_200)) == nil)
            #expect(try await store.session(tokenHash: "hash-2", idle: 100_000, now: checkTime.addingTimeInterval(7_200)) == nil)
            #expect(try await store.session(tokenHash: "other", idle: 1_800, now: checkTime) == nil)
            try await store.closeSession(tokenHash: "hash-2")
            #expect(try await store.session(tokenHash: "hash-2", idle: 100_000, now: checkTime) == nil)
        },
        ConformanceCheck("an invitation sets the password once, before it expires") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let invited = try await store.createUser(
                NewConsoleUser(
                    email: "new@acme.co.ke", role: .developer, firmID: firm.id, passwordHash: "",
                    invitation: ("invite-hash", checkTime.addingTimeInterval(3_600))),
                now: checkTime)
            #expect(invited.isInvitationPending)
            #expect(try await store.invitationIsOpen(tokenHash: "invite-hash", now: checkTime))
            #expect(try await !store.invitationIsOpen(tokenHash: "invite-hash", now: checkTime.addingTimeInterval(3_600)))
            #expect(try await !store.invitationIsOpen(tokenHash: "other-hash", now: checkTime))
            #expect(try await store.acceptInvitation(tokenHash: "invite-hash", passwordHash: "h", now: checkTime.addingTimeInterval(3_600)) == nil)
            let accepted = try #require(try await store.acceptInvitation(tokenHash: "invite-hash", passwordHash: "h", now: checkTime))
            #expect(accepted.id == invited.id && accepted.passwordHash == "h" && !accepted.isInvitationPending)
            #expect(try await store.acceptInvitation(tokenHash: "invite-hash", passwordHash: "other", now: checkTime) == nil)
            #expect(try await !store.invitationIsOpen(tokenHash: "invite-hash", now: checkTime), "an accepted invitation is closed")
        },
        ConformanceCheck("removing a user deletes the user and every session of theirs, and only theirs") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let removed = try await store.createUser(
                NewConsoleUser(email: "dev@acme.co.ke", role: .developer, firmID: firm.id, passwordHash: "h"), now: checkTime)
            let kept = try await store.createUser(
                NewConsoleUser(email: "owner@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime)
            for (user, hash) in [(removed, "removed-1"), (removed, "removed-2"), (kept, "kept-1")] {
                _ = try await store.openSession(
                    userID: user.id,
                    NewConsoleSession(
                        tokenHash: hash, kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(3_600), clientAddress: "10.0.0.3"),
                    now: checkTime)
            }
            let gone = try await store.removeUser(id: removed.id, actorID: nil, decide: { $1! }, audit: removalAudit)
            #expect(gone.id == removed.id && gone.email == "dev@acme.co.ke")
            do {
                _ = try await store.removeUser(
                    id: removed.id, actorID: nil,
                    decide: { _, target in
                        guard let target else { throw DomainError(.notFound, "No such user.") }
                        return target
                    }, audit: removalAudit)
                Issue.record("a removed user was removed again")
            } catch let error as DomainError {
                #expect(error.code == .notFound)
            }
            // The removal's audit line, and none for the refused one.
            let audit = try await store.auditLog(firmID: firm.id, limit: 10, startingAfter: nil)
            #expect(audit.map { "\($0.action) \($0.detail)" } == ["user.remove dev@acme.co.ke"])
            #expect(try await store.user(email: "dev@acme.co.ke") == nil)
            #expect(try await store.users(firmID: firm.id).map(\.id) == [kept.id])
            #expect(try await store.session(tokenHash: "removed-1", idle: 1_800, now: checkTime) == nil)
            #expect(try await store.session(tokenHash: "removed-2", idle: 1_800, now: checkTime) == nil)
            #expect(try await store.session(tokenHash: "kept-1", idle: 1_800, now: checkTime)?.1.id == kept.id)
            // A sign-in that found the user before the removal opens nothing after it.
            do {
                _ = try await store.openSession(
                    userID: removed.id,
                    NewConsoleSession(
                        tokenHash: "removed-3", kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(3_600),
                        clientAddress: "10.0.0.3"),
                    now: checkTime)
                Issue.record("a session was opened for a removed user")
            } catch let error as DomainError {
                #expect(error.code == .notFound)
            }
        },
        ConformanceCheck("two owners removing each other at once: one removal wins, the other finds its actor gone") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let owners = [
                try await store.createUser(NewConsoleUser(email: "a@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime),
                try await store.createUser(NewConsoleUser(email: "b@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime),
            ]
            let results = await withTaskGroup(of: Result<ConsoleUser, DomainError>.self) { group in
                for (actor, target) in [(owners[0], owners[1]), (owners[1], owners[0])] {
                    group.addTask {
                        do {
                            return .success(
                                try await store.removeUser(
                                    id: target.id, actorID: actor.id,
                                    decide: { actorNow, targetNow in
                                        guard let actorNow else { throw DomainError(.unauthenticated, "Your console account was removed.") }
                                        return try ConsoleUserRemoval.check(actor: actorNow, target: targetNow, firmID: firm.id)
                                    }, audit: removalAudit))
                        } catch let error as DomainError {
                            return .failure(error)
                        } catch {
                            return .failure(DomainError(.validation, "unexpected \(error)"))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let removed = results.compactMap { try? $0.get() }
            let refusals = results.compactMap { if case .failure(let error) = $0 { error.code } else { nil } }
            #expect(removed.count == 1 && refusals == [.unauthenticated])
            let left = try await store.users(firmID: firm.id)
            #expect(left.count == 1 && left[0].role == .owner && left[0].id != removed.first?.id)
            #expect(try await store.auditLog(firmID: firm.id, limit: 10, startingAfter: nil).count == 1)
        },
        ConformanceCheck("a role change is kept with its audit line, seen by the user's sessions, and none when nothing changed") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let developer = try await store.createUser(
                NewConsoleUser(email: "dev@acme.co.ke", role: .developer, firmID: firm.id, passwordHash: "h"), now: checkTime)
            _ = try await store.openSession(
                userID: developer.id,
                NewConsoleSession(
                    tokenHash: "dev-1", kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(3_600), clientAddress: "10.0.0.3"),
                now: checkTime)
            let audit: @Sendable (ConsoleUser, ConsoleUser) -> AuditEntry = { before, after in
                AuditEntry(
                    id: 0, at: checkTime, actor: "cli", actorRole: "cli", firmID: after.firmID, action: "user.role",
                    detail: "\(before.role.rawValue) → \(after.role.rawValue)", clientAddress: "", requestID: "")
            }
            let promote: @Sendable (ConsoleUser?, ConsoleUser?) throws -> ConsoleUser = { _, target in
                guard var target else { throw DomainError(.notFound, "No such user.") }
                target.role = .owner
                return target
            }
            #expect(try await store.changeRole(id: developer.id, actorID: nil, decide: promote, audit: audit).role == .owner)
            #expect(try await store.changeRole(id: developer.id, actorID: nil, decide: promote, audit: audit).role == .owner)
            #expect(try await store.session(tokenHash: "dev-1", idle: 1_800, now: checkTime)?.1.role == .owner)
            #expect(try await store.auditLog(firmID: firm.id, limit: 10, startingAfter: nil).map(\.detail) == ["developer → owner"])
            do {
                _ = try await store.changeRole(
                    id: developer.id, actorID: nil, decide: { _, _ in throw DomainError(.conflict, "no") }, audit: audit)
                Issue.record("a refused change went through")
            } catch let error as DomainError {
                #expect(error.code == .conflict)
            }
            #expect(try await store.user(email: "dev@acme.co.ke")?.role == .owner)
            #expect(try await store.auditLog(firmID: firm.id, limit: 10, startingAfter: nil).count == 1, "a refused change writes no audit line")
        },
        ConformanceCheck("signing out everywhere ends every session of the user and only theirs") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let users = [
                try await store.createUser(NewConsoleUser(email: "a@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime),
                try await store.createUser(NewConsoleUser(email: "b@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime),
            ]
            for (user, hash) in [(users[0], "a-1"), (users[0], "a-2"), (users[1], "b-1")] {
                _ = try await store.openSession(
                    userID: user.id,
                    NewConsoleSession(
                        tokenHash: hash, kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(3_600), clientAddress: "10.0.0.3"),
                    now: checkTime)
            }
            #expect(try await store.closeSessions(userID: users[0].id) == 2)
            #expect(try await store.closeSessions(userID: users[0].id) == 0)
            #expect(try await store.session(tokenHash: "a-1", idle: 1_800, now: checkTime) == nil)
            #expect(try await store.session(tokenHash: "a-2", idle: 1_800, now: checkTime) == nil)
            #expect(try await store.session(tokenHash: "b-1", idle: 1_800, now: checkTime)?.1.id == users[1].id)
        },
        ConformanceCheck("a password change replaces the hash, clears failures and ends the user's other sessions only") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let users = [
                try await store.createUser(NewConsoleUser(email: "a@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime),
                try await store.createUser(NewConsoleUser(email: "b@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime),
            ]
            var sessions: [ConsoleSession] = []
            for (user, hash) in [(users[0], "a-1"), (users[0], "a-2"), (users[0], "a-3"), (users[1], "b-1")] {
                sessions.append(
                    try await store.openSession(
                        userID: user.id,
                        NewConsoleSession(
                            tokenHash: hash, kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(3_600), clientAddress: "10.0.0.3"),
                        now: checkTime))
            }
            _ = try await store.recordFailedSignIn(userID: users[0].id) { _ in checkTime.addingTimeInterval(60) }
            #expect(try await store.changePassword(userID: users[0].id, checkedHash: "h", passwordHash: "h2", keepingSession: sessions[1].id) == 2)
            let changed = try #require(try await store.user(email: "a@acme.co.ke"))
            #expect(changed.passwordHash == "h2" && changed.failedSignIns == 0 && changed.lockedUntil == nil)
            #expect(try await store.session(tokenHash: "a-1", idle: 1_800, now: checkTime) == nil)
            #expect(try await store.session(tokenHash: "a-2", idle: 1_800, now: checkTime)?.1.id == users[0].id)
            #expect(try await store.session(tokenHash: "a-3", idle: 1_800, now: checkTime) == nil)
            #expect(try await store.session(tokenHash: "b-1", idle: 1_800, now: checkTime)?.1.passwordHash == "h")
            // A change or a sign-in checked against the old hash, finishing after the change, does nothing.
            let stale = await #expect(throws: DomainError.self) {
                try await store.changePassword(userID: users[0].id, checkedHash: "h", passwordHash: "h3", keepingSession: sessions[1].id)
            }
            #expect(stale?.code == .notFound)
            #expect(try await store.user(email: "a@acme.co.ke")?.passwordHash == "h2")
            #expect(try await store.session(tokenHash: "a-2", idle: 1_800, now: checkTime) != nil)
            func signIn(_ tokenHash: String, checked: String) async throws -> ConsoleSession {
                try await store.openSession(
                    userID: users[0].id,
                    NewConsoleSession(
                        tokenHash: tokenHash, kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(3_600),
                        clientAddress: "10.0.0.3", checkedPasswordHash: checked),
                    now: checkTime)
            }
            let late = await #expect(throws: DomainError.self) { try await signIn("a-4", checked: "h") }
            #expect(late?.code == .notFound)
            #expect(try await store.session(tokenHash: "a-4", idle: 1_800, now: checkTime) == nil)
            #expect(try await signIn("a-5", checked: "h2").userID == users[0].id)
            _ = try await store.removeUser(id: users[1].id, actorID: nil, decide: { _, target in try #require(target) }) { user in
                AuditEntry(
                    id: 0, at: checkTime, actor: "cli", actorRole: "cli", firmID: firm.id, action: "user.remove", detail: user.email,
                    clientAddress: "", requestID: "")
            }
            let gone = await #expect(throws: DomainError.self) {
                try await store.changePassword(userID: users[1].id, checkedHash: "h", passwordHash: "h4", keepingSession: 0)
            }
            #expect(gone?.code == .notFound)
        },
        ConformanceCheck("the audit log lists newest first, per firm or all, with a cursor") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            for (index, action) in ["firm.create", "api_key.create", "credits.adjust"].enumerated() {
                try await store.appendAudit(
                    AuditEntry(
                        id: 0, at: checkTime.addingTimeInterval(Double(index)), actor: "admin@wl.test", actorRole: "admin",
                        firmID: index == 1 ? nil : firm.id, action: action, detail: "d\(index)", clientAddress: "10.0.0.3", requestID: "req_\(index)")
                )
            }
            let all = try await store.auditLog(firmID: nil, limit: 10, startingAfter: nil)
            #expect(all.map(\.action) == ["credits.adjust", "api_key.create", "firm.create"])
            #expect(all[0].at == checkTime.addingTimeInterval(2) && all[0].requestID == "req_2" && all[0].clientAddress == "10.0.0.3")
            #expect(try await store.auditLog(firmID: firm.id, limit: 10, startingAfter: nil).map(\.action) == ["credits.adjust", "firm.create"])
            #expect(try await store.auditLog(firmID: nil, limit: 1, startingAfter: all[0].id).map(\.action) == ["api_key.create"])
        },
        ConformanceCheck("a blast's summary counts its messages by status, for its own firm only") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let sent = try await smsBlast(store, firm: firm, count: 3, reference: "march")
            _ = try await store.cancelMessage(firmID: firm.id, id: sent[0].id, now: checkTime)
            let summary = try #require(try await store.blastSummary(firmID: firm.id, blastID: sent[0].blastID))
            #expect(summary.counts == [.pending: 2, .failed: 1])
            #expect(summary.channel == .sms && summary.reference == "march" && summary.credits == .zero && summary.createdAt == checkTime)
            #expect(try await store.blastSummary(firmID: other.id, blastID: sent[0].blastID) == nil)
            #expect(try await store.blastSummary(firmID: firm.id, blastID: "SMS-unknown") == nil)
        },
        ConformanceCheck("housekeeping deletes ended sessions, lapsed invitations and old audit lines, and nothing else") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let user = try await store.createUser(
                NewConsoleUser(email: "owner@acme.co.ke", role: .owner, firmID: firm.id, passwordHash: "h"), now: checkTime)
            for (hash, ends) in [("ended", 100.0), ("idle", 10_000.0), ("live", 10_000.0)] {
                let session = NewConsoleSession(
                    tokenHash: hash, kind: .bearer, csrfToken: "c", expiresAt: checkTime.addingTimeInterval(ends), clientAddress: "10.0.0.1")
                _ = try await store.openSession(userID: user.id, session, now: checkTime)
            }
            _ = try await store.session(tokenHash: "live", idle: 100_000, now: checkTime.addingTimeInterval(1_000))
            let later = checkTime.addingTimeInterval(1_500)
            #expect(try await store.deleteEndedSessions(now: later, idleCutoff: later.addingTimeInterval(-1_000), limit: 10) == 2)
            #expect(try await store.session(tokenHash: "live", idle: 100_000, now: later) != nil)
            for (email, ends) in [("lapsed@acme.co.ke", 100.0), ("open@acme.co.ke", 10_000.0)] {
                _ = try await store.createUser(
                    NewConsoleUser(
                        email: email, role: .developer, firmID: firm.id, passwordHash: "",
                        invitation: ("i-\(email)", checkTime.addingTimeInterval(ends))),
                    now: checkTime)
            }
            #expect(try await store.deleteExpiredInvitations(now: later, limit: 10) == 1)
            #expect(try await store.users(firmID: firm.id).map(\.email) == ["owner@acme.co.ke", "open@acme.co.ke"])
            for offset in [0.0, 2_000.0] {
                try await store.appendAudit(
                    AuditEntry(
                        id: 0, at: checkTime.addingTimeInterval(offset), actor: "a", actorRole: "admin", firmID: nil, action: "x", detail: "",
                        clientAddress: "", requestID: ""))
            }
            #expect(try await store.deleteAuditEntries(before: later, limit: 10) == 1)
            #expect(try await store.auditLog(firmID: nil, limit: 10, startingAfter: nil).map(\.at) == [checkTime.addingTimeInterval(2_000)])
        },
        ConformanceCheck("a credit adjustment and its audit line are written together, or neither is") { store in
            let firm = try await firmWithCredits(store, credits: 5)
            let audit: @Sendable (LedgerEntry) -> AuditEntry = { entry in
                AuditEntry(
                    id: 0, at: checkTime, actor: "admin@wl.test", actorRole: "admin", firmID: firm.id, action: "credits.adjust",
                    detail: "\(entry.amount) \(entry.reference)", clientAddress: "10.0.0.9", requestID: "r-1")
            }
            let entry = try await store.adjustCredits(firmID: firm.id, amount: Credits(whole: 3), reason: "goodwill", now: checkTime, audit: audit)
            #expect(entry.kind == .adjustment && entry.amount == Credits(whole: 3) && entry.balanceAfter == Credits(whole: 8))
            #expect(try await store.ledger(firmID: firm.id, limit: 10, startingAfter: nil).first?.id == entry.id)
            #expect(try await store.auditLog(firmID: firm.id, limit: 10, startingAfter: nil).map(\.detail) == ["\(Credits(whole: 3)) goodwill"])
            let error = await #expect(throws: DomainError.self) {
                try await store.adjustCredits(firmID: firm.id, amount: Credits(whole: -9), reason: "too much", now: checkTime, audit: audit)
            }
            #expect(error?.code == .insufficientCredits)
            #expect(try await store.firm(id: firm.id)?.smsCredits == Credits(whole: 8))
            #expect(try await store.auditLog(firmID: firm.id, limit: 10, startingAfter: nil).count == 1, "a refused adjustment writes no line")
        },
        ConformanceCheck("audit details of the named actions are rewritten where the rule changes them, once, and no others") { store in
            let lines = [
                ("webhook.set", "https://hooks.example/t/secret-token?k=1"), ("webhook.secret_rotate", "https://hooks.example/t/secret-token"),
                ("webhook.set", "https://hooks.example/…"), ("api_key.revoke", "https://hooks.example/t/secret-token"),
            ]
            for (action, detail) in lines {
                try await store.appendAudit(
                    AuditEntry(
                        id: 0, at: checkTime, actor: "a", actorRole: "owner", firmID: nil, action: action, detail: detail, clientAddress: "",
                        requestID: ""))
            }
            let origin: @Sendable (String) -> String = { $0.hasSuffix("/…") ? $0 : "https://hooks.example/…" }
            let actions = ["webhook.set", "webhook.secret_rotate"]
            #expect(try await store.rewriteAuditDetails(actions: actions, origin) == 2)
            let kept = try await store.auditLog(firmID: nil, limit: 10, startingAfter: nil).reversed().map { "\($0.action) \($0.detail)" }
            #expect(
                kept == [
                    "webhook.set https://hooks.example/…", "webhook.secret_rotate https://hooks.example/…", "webhook.set https://hooks.example/…",
                    "api_key.revoke https://hooks.example/t/secret-token",
                ])
            #expect(try await store.rewriteAuditDetails(actions: actions, origin) == 0)
        },
        ConformanceCheck("delivery counts group the firm's SMS by day, outcome and network") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            let sent = try await smsBlast(store, firm: firm, count: 3)
            _ = try await smsBlast(store, firm: other, count: 2)
            _ = try await store.cancelMessage(firmID: firm.id, id: sent[0].id, now: checkTime)
            let day = checkTime.formatted(.iso8601.year().month().day())
            let counts = try await store.deliveryCounts(firmID: firm.id, since: checkTime.addingTimeInterval(-86_400))
            #expect(
                Set(counts) == [
                    DeliveryCount(day: day, outcome: "failed", network: "unknown", count: 1),
                    DeliveryCount(day: day, outcome: "pending", network: "unknown", count: 2),
                ])
            #expect(try await store.deliveryCounts(firmID: firm.id, since: checkTime.addingTimeInterval(1)).isEmpty)
        },
    ]
}

/// The audit line the conformance checks write with a removal.
@Sendable private func removalAudit(_ user: ConsoleUser) -> AuditEntry {
    AuditEntry(
        id: 0, at: checkTime, actor: "owner@acme.co.ke", actorRole: "owner", firmID: user.firmID, action: "user.remove",
        detail: user.email, clientAddress: "10.0.0.3", requestID: "req_remove")
}
